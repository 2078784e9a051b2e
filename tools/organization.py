"""The account layer across an AWS Organization with a service-managed StackSet: preview per account and region, then roll out.

    .venv/bin/python tools/organization.py plan   [--config org/rollout.toml] [--allow-replace ACCOUNT/REGION/LOGICAL_ID ...]
    .venv/bin/python tools/organization.py deploy [--config org/rollout.toml] [--allow-replace ...]
    npm run org:plan / npm run org:deploy

Run in the organization's management account (call_as SELF) or the StackSets delegated administrator
(DELEGATED_ADMIN), with the standard AWS variables choosing the target (the local cloud or a real organization).

deploy: (1) one artifacts bucket per region (org/artifacts.yaml: readable by this organization's accounts only, by
aws:PrincipalOrgID), because Lambda takes function code only from a bucket in the function's region; (2) the account
layer packaged once (`sam package` of .aws-sam/account/build), its bundles copied to every region's bucket under the same
keys, and each function's code bucket named per region (Fn::Sub on AWS::Region), so one template serves every
region; (3) plan (below), refusing as it refuses; (4) the StackSet (org/stackset.yaml as stack strata-org:
AutoDeployment to the target OUs, the home region first, the configured concurrency and failure tolerance, managed
execution); (5) the management account's twin, the same template as stack strata-account in each region (a
service-managed StackSet never deploys to the management account; with DELEGATED_ADMIN the management account must
run `organization.py twin` itself).

plan: for every account the OUs reach (child OUs included, the management account never) and every region, what the
rollout would do: create (no stack instance yet), update (the change set of the instance's stack, previewed in the
account through preview_role_name), delete (no longer targeted), or nothing. Exits 2 when a stateful resource of an
instance would be replaced or removed, unless --allow-replace names it as ACCOUNT/REGION/LOGICAL_ID.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plan as change_sets  # tools/plan.py: change-set rows and the stateful types, shared with the environment guard

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / ".aws-sam" / "account" / "build" / "template.yaml"
STACK_SET, ORG_STACK, ARTIFACTS_STACK, TWIN_STACK = "strata-account", "strata-org", "strata-org-artifacts", "strata-account"
PREFIX = "strata-account"


def load_config(path: Path) -> dict[str, Any]:
    config = tomllib.loads(path.read_text())
    regions = config.get("regions") or []
    if not regions or regions[0] != config.get("home_region"):
        raise SystemExit(f"{path}: regions must start with home_region ({config.get('home_region')}): the global resources region "
                         "is deployed first")
    if config.get("call_as", "SELF") not in ("SELF", "DELEGATED_ADMIN"):
        raise SystemExit(f"{path}: call_as must be SELF or DELEGATED_ADMIN")
    if config.get("s3_data_events", "write") not in ("write", "all", "none"):
        raise SystemExit(f"{path}: s3_data_events must be write, all or none (got {config.get('s3_data_events')!r})")
    return config


class Organization:
    """What the caller's organization looks like, through the Organizations API."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.client = session.client("organizations")
        org = self.client.describe_organization()["Organization"]
        self.id, self.master = org["Id"], org["MasterAccountId"]
        self.caller = session.client("sts").get_caller_identity()["Account"]

    def accounts_under(self, parent: str) -> list[str]:
        found = [a["Id"] for page in self.client.get_paginator("list_accounts_for_parent").paginate(ParentId=parent)
                 for a in page["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE"]
        for page in self.client.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
            for ou in page["OrganizationalUnits"]:
                found += self.accounts_under(ou["Id"])
        return found

    def targets(self, ous: list[str]) -> list[str]:
        """Every account the OUs reach, child OUs included; never the management account (service-managed StackSets skip it)."""
        out: list[str] = []
        for ou in ous:
            try:
                out += [a for a in self.accounts_under(ou) if a != self.master and a not in out]
            except self.client.exceptions.ClientError as error:
                raise SystemExit(f"organizational_unit_ids: {ou} is not an OU or root of organization {self.id} ({error}); list "
                                 "them with `aws organizations list-organizational-units-for-parent`") from error
        return sorted(out)


def bucket(account: str, region: str) -> str:
    return f"strata-org-artifacts-{account}-{region}"


def deploy_stack(cf: Any, name: str, body: str, params: dict[str, str], capabilities: list[str] | None = None) -> dict[str, Any]:
    """Creates or updates a stack through a change set and waits for it; an empty change set is success."""
    try:
        exists = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] not in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE")
    except cf.exceptions.ClientError:
        exists = False
    created = cf.create_change_set(StackName=name, ChangeSetName=f"strata-org-{uuid.uuid4().hex[:8]}", TemplateBody=body,
                                   ChangeSetType="UPDATE" if exists else "CREATE", Capabilities=capabilities or [],
                                   Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
    described = change_sets.wait(cf, created["Id"])
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason", "")
        cf.delete_change_set(ChangeSetName=created["Id"])
        if "didn't contain changes" in reason or "No updates" in reason:
            return cf.describe_stacks(StackName=name)["Stacks"][0]
        raise SystemExit(f"{name}: the change set failed: {reason}")
    cf.execute_change_set(ChangeSetName=created["Id"])
    while True:
        stack = cf.describe_stacks(StackName=created["StackId"])["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            break
        time.sleep(2)
    if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        events = cf.describe_stack_events(StackName=created["StackId"])["StackEvents"]
        first = [e for e in reversed(events) if e["ResourceStatus"].endswith("_FAILED")][:1]
        raise SystemExit(f"{name}: {stack['StackStatus']}: " + (f"{first[0]['LogicalResourceId']}: {first[0].get('ResourceStatusReason')}"
                                                                if first else str(stack.get("StackStatusReason"))))
    return stack


def package(session: boto3.session.Session, config: dict[str, Any], account: str) -> tuple[str, dict[str, Any]]:
    """The account layer packaged for every region: (template URL in the home region's bucket, the template)."""
    home = config["home_region"]
    if not BUILD.exists():
        result = subprocess.run([str(Path(sys.executable).parent / "sam"), "build", "--config-env", "account"], cwd=REPO,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"sam build --config-env account failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    from samcli.yamlhelper import yaml_parse

    template = yaml_parse(change_sets.package({"s3_bucket": bucket(account, home), "s3_prefix": PREFIX}, BUILD, home))
    s3 = {r: session.client("s3", region_name=r) for r in config["regions"]}
    for logical_id, res in template["Resources"].items():
        if res.get("Type") != "AWS::Lambda::Function":
            continue
        code = res["Properties"]["Code"]
        for region in config["regions"][1:]:
            s3[region].copy_object(Bucket=bucket(account, region), Key=code["S3Key"],
                                   CopySource={"Bucket": bucket(account, home), "Key": code["S3Key"]})
        # Each stack instance reads the code from its own region's copy.
        code["S3Bucket"] = {"Fn::Sub": f"strata-org-artifacts-{account}-${{AWS::Region}}"}
        res["Properties"]["Code"] = code
        print(f"  {logical_id}: code in every region's bucket, key {code['S3Key']}")
    body = json.dumps(template, indent=1, sort_keys=True)
    key = f"{PREFIX}/account-{hashlib.sha256(body.encode()).hexdigest()[:16]}.template.json"
    s3[home].put_object(Bucket=bucket(account, home), Key=key, Body=body.encode())
    return f"https://{bucket(account, home)}.s3.{home}.amazonaws.com/{key}", template


def layer_parameters(config: dict[str, Any], guard_uri: str) -> dict[str, str]:
    """The account layer's parameters, the same for every stack instance and the twin."""
    def flag(value: object) -> str:
        return "true" if value else "false"

    return {"GlobalResourcesRegion": config["home_region"], "AlarmEmail": config["alarm_email"],
            "CreateTrail": flag(config.get("create_trail", True)), "S3DataEvents": str(config.get("s3_data_events", "write")),
            "CreateSecurityHub": flag(config.get("create_security_hub", True)),
            "CreateGuardDutyDetector": flag(config.get("create_guardduty_detector", True)), "GuardRulesUri": guard_uri,
            "GuardHookMode": config.get("guard_hook_mode", "WARN")}


def preview(session: boto3.session.Session, org: Organization, config: dict[str, Any], template: dict[str, Any] | None,
            params: dict[str, str]) -> tuple[list[dict[str, str]], bool]:
    """(rows, whether the StackSet exists): what the rollout would do per account and region."""
    home = config["home_region"]
    cf = session.client("cloudformation", region_name=home)
    call_as = config.get("call_as", "SELF")
    try:
        cf.describe_stack_set(StackSetName=STACK_SET, CallAs=call_as)
        exists = True
        current = {(i["Account"], i["Region"]): i for page in cf.get_paginator("list_stack_instances").paginate(StackSetName=STACK_SET, CallAs=call_as)
                   for i in page["Summaries"]}
    except cf.exceptions.ClientError:
        exists, current = False, {}
    wanted = {(a, r) for a in org.targets(config["organizational_unit_ids"]) for r in config["regions"]}
    rows: list[dict[str, str]] = []
    for account, region in sorted(wanted | set(current)):
        instance = current.get((account, region))
        if (account, region) not in wanted:
            rows.append({"account": account, "region": region, "action": "delete", "id": "-", "type": "-", "detail": "no longer targeted"})
        elif instance is None or not instance.get("StackId"):
            rows.append({"account": account, "region": region, "action": "create", "id": "-", "type": "-", "detail": "new stack instance"})
        elif template is not None:
            rows += instance_changes(session, config, account, region, instance["StackId"], template, params)
    return rows, exists


def instance_changes(session: boto3.session.Session, config: dict[str, Any], account: str, region: str, stack_id: str,
                     template: dict[str, Any], params: dict[str, str]) -> list[dict[str, str]]:
    """The change set of one stack instance's stack, created in its account (through preview_role_name) and deleted again."""
    role = f"arn:aws:iam::{account}:role/{config.get('preview_role_name', 'OrganizationAccountAccessRole')}"
    keys = session.client("sts").assume_role(RoleArn=role, RoleSessionName="strata-org-plan")["Credentials"]
    cf = boto3.session.Session(aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                               aws_session_token=keys["SessionToken"], region_name=region).client("cloudformation")
    created = cf.create_change_set(StackName=stack_id, ChangeSetName=f"strata-org-plan-{uuid.uuid4().hex[:8]}", ChangeSetType="UPDATE",
                                   TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_NAMED_IAM"],
                                   Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
    try:
        described = change_sets.wait(cf, created["Id"])
        if described["Status"] == "FAILED":
            reason = described.get("StatusReason", "")
            if "didn't contain changes" in reason or "No updates" in reason:
                return [{"account": account, "region": region, "action": "none", "id": "-", "type": "-", "detail": "no changes"}]
            return [{"account": account, "region": region, "action": "error", "id": "-", "type": "-", "detail": reason}]
        return [{**r, "account": account, "region": region} for r in change_sets.changes(cf, created["Id"], "account")]
    finally:
        cf.delete_change_set(ChangeSetName=created["Id"])


def report(rows: list[dict[str, str]], allow: list[str]) -> int:
    print(f"  {'account':<13} {'region':<15} {'action':<8} {'resource':<36} {'type':<40} detail")
    for r in rows:
        print(f"  {r['account']:<13} {r['region']:<15} {r['action']:<8} {r['id']:<36} {r['type']:<40} {r['detail']}")
    risky = [r for r in rows if r["type"] in change_sets.STATEFUL and r["action"] in ("Replace", "Replace?", "Remove")]
    blocked = [r for r in risky if f"{r['account']}/{r['region']}/{r['id']}" not in allow]
    errors = [r for r in rows if r["action"] == "error"]
    if blocked:
        print("\nREFUSED: the rollout would replace or remove stateful resources in these stack instances, losing or orphaning their "
              "data:", file=sys.stderr)
        for r in blocked:
            print(f"  {r['action']} {r['account']}/{r['region']}/{r['id']} ({r['type']}); allow exactly this one with "
                  f"--allow-replace {r['account']}/{r['region']}/{r['id']}", file=sys.stderr)
        return 2
    if errors:
        print("\nREFUSED: a stack instance's change set failed (above): fix it before the rollout", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["plan", "deploy", "twin"])
    parser.add_argument("--config", type=Path, default=REPO / "org" / "rollout.toml")
    parser.add_argument("--allow-replace", action="append", default=[], metavar="ACCOUNT/REGION/LOGICAL_ID")
    args = parser.parse_args()
    config = load_config(args.config)
    session = boto3.session.Session(region_name=config["home_region"])
    org = Organization(session)
    home, call_as = config["home_region"], config.get("call_as", "SELF")
    if call_as == "SELF" and org.caller != org.master:
        raise SystemExit(f"call_as SELF needs the management account {org.master}; this is {org.caller}: use the management account's "
                         "credentials, or call_as = \"DELEGATED_ADMIN\" in the delegated administrator account")
    print(f"organization {org.id}: management account {org.master}, acting as {org.caller} ({call_as}), regions {', '.join(config['regions'])}")

    print("== artifacts buckets (org/artifacts.yaml), one per region")
    for region in config["regions"]:
        deploy_stack(session.client("cloudformation", region_name=region), ARTIFACTS_STACK, (REPO / "org" / "artifacts.yaml").read_text(),
                     {"OrganizationId": org.id})
        print(f"  {region}: s3://{bucket(org.caller, region)}")
    s3 = session.client("s3", region_name=home)
    rules_key = f"{PREFIX}/guard/strata.guard"
    s3.upload_file(str(REPO / "account" / "guard" / "strata.guard"), bucket(org.caller, home), rules_key)
    params = layer_parameters(config, f"s3://{bucket(org.caller, home)}/{rules_key}")
    print("== the account layer, packaged for every region")
    url, template = package(session, config, org.caller)
    print(f"  {url}")

    print("== plan: every stack instance")
    rows, _ = preview(session, org, config, template, params)
    refused = report(rows, args.allow_replace)
    if args.command == "plan" or refused:
        return refused

    if args.command == "deploy":
        print("== the StackSet (org/stackset.yaml as stack strata-org)")
        stack = deploy_stack(session.client("cloudformation", region_name=home), ORG_STACK, (REPO / "org" / "stackset.yaml").read_text(), {
            "OrganizationalUnitIds": ",".join(config["organizational_unit_ids"]), "Regions": ",".join(config["regions"]),
            "GlobalResourcesRegion": home, "CallAs": call_as, "AccountTemplateUrl": url, "AlarmEmail": params["AlarmEmail"],
            "CreateTrail": params["CreateTrail"], "S3DataEvents": params["S3DataEvents"], "CreateSecurityHub": params["CreateSecurityHub"],
            "CreateGuardDutyDetector": params["CreateGuardDutyDetector"], "GuardRulesUri": params["GuardRulesUri"],
            "GuardHookMode": params["GuardHookMode"], "MaxConcurrentPercentage": str(config.get("max_concurrent_percentage", 25)),
            "FailureTolerancePercentage": str(config.get("failure_tolerance_percentage", 0))})
        print(f"  {stack['StackName']}: {stack['StackStatus']}")
        cf = session.client("cloudformation", region_name=home)
        for page in cf.get_paginator("list_stack_instances").paginate(StackSetName=STACK_SET, CallAs=call_as):
            for i in page["Summaries"]:
                print(f"  {i['Account']} {i['Region']}: {i['Status']} ({i['StackInstanceStatus']['DetailedStatus']})")
    if call_as == "DELEGATED_ADMIN" and args.command == "deploy":
        print(f"== the management account {org.master}: run `organization.py twin` with its credentials (a service-managed StackSet never "
              "deploys there)")
        return 0
    print(f"== the management account's twin (stack {TWIN_STACK} in each region)")
    for region in config["regions"]:
        twin = deploy_stack(session.client("cloudformation", region_name=region), TWIN_STACK, json.dumps(template), params,
                            ["CAPABILITY_NAMED_IAM"])
        print(f"  {region}: {twin['StackStatus']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
