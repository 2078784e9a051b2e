"""Change-set guard: what a deploy would change, per layer, and a refusal when data would be lost.

    .venv/bin/python tools/plan.py --config-env prod [--allow-replace DatabaseStack/DbInstance ...]
    npm run plan -- --config-env prod

Packages the built template (`sam build` first) as `sam deploy` would, creates a change set with nested
change sets against the target (the local cloud or a real account: the standard AWS variables decide),
prints every change per layer (Add, Modify, Replace, Remove) and deletes the change set again. Exits 2
when a stateful resource (database, bucket, KMS key, log group) would be replaced or removed, unless
--allow-replace names exactly that resource as <layer stack>/<logical id> (root resources: root/<id>).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import boto3

REPO = Path(__file__).resolve().parent.parent
STATEFUL = {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup",
            "AWS::DynamoDB::Table", "AWS::EFS::FileSystem"}


def deploy_settings(config_env: str) -> dict[str, Any]:
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    if config_env not in config or "deploy" not in config[config_env]:
        raise SystemExit(f"--config-env {config_env}: samconfig.toml has no [{config_env}.deploy.parameters]; "
                         f"choose one of {sorted(k for k in config if k != 'version')}")
    return config[config_env]["deploy"]["parameters"]


def pairs(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(text or ""))


def package(settings: dict[str, Any], template: Path, region: str) -> str:
    out = Path(tempfile.mkstemp(suffix=".yaml")[1])
    args = [str(Path(sys.executable).parent / "sam"), "package", "--template-file", str(template), "--output-template-file", str(out),
            "--region", region]
    args += ["--resolve-s3"] if settings.get("resolve_s3") else ["--s3-bucket", settings["s3_bucket"]]
    if settings.get("s3_prefix"):
        args += ["--s3-prefix", settings["s3_prefix"]]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"sam package failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return out.read_text()


def wait(cf: Any, change_set_id: str) -> dict[str, Any]:
    while True:
        described = cf.describe_change_set(ChangeSetName=change_set_id)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return described
        time.sleep(1)


def changes(cf: Any, change_set_id: str, layer: str) -> list[dict[str, str]]:
    """Rows of one change set and, recursively, of its nested change sets."""
    rows: list[dict[str, str]] = []
    token = None
    while True:
        page = cf.describe_change_set(ChangeSetName=change_set_id, **({"NextToken": token} if token else {}))
        for change in page.get("Changes", []):
            rc = change["ResourceChange"]
            action = rc["Action"]
            if action == "Modify" and rc.get("Replacement") in ("True", "Conditional"):
                action = "Replace" if rc["Replacement"] == "True" else "Replace?"
            rows.append({"layer": layer, "id": rc["LogicalResourceId"], "type": rc["ResourceType"], "action": action,
                         "detail": ", ".join(d["Target"].get("Name", "") for d in rc.get("Details", []) if d.get("Target"))})
            if rc["ResourceType"] == "AWS::CloudFormation::Stack" and rc.get("ChangeSetId"):
                rows += changes(cf, rc["ChangeSetId"], rc["LogicalResourceId"])
        token = page.get("NextToken")
        if not token:
            return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-env", required=True)
    parser.add_argument("--template-file", type=Path, default=REPO / ".aws-sam" / "build" / "template.yaml")
    parser.add_argument("--parameter-overrides", default=None, help="as for sam deploy (replaces the config-env's)")
    parser.add_argument("--allow-replace", action="append", default=[], metavar="LAYER/LOGICAL_ID",
                        help="accept the replacement or removal of exactly this stateful resource")
    parser.add_argument("--keep-change-set", action="store_true", help="leave the change set for review instead of deleting it")
    args = parser.parse_args()
    if not args.template_file.exists():
        raise SystemExit(f"{args.template_file} does not exist: run `npx turbo run build && .venv/bin/sam build` first")
    settings = deploy_settings(args.config_env)
    region, stack = settings.get("region", "us-east-1"), settings["stack_name"]
    cf = boto3.client("cloudformation", region_name=region)
    body = package(settings, args.template_file, region)
    params = pairs(args.parameter_overrides if args.parameter_overrides is not None else settings.get("parameter_overrides", ""))
    try:
        exists = cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] != "REVIEW_IN_PROGRESS"
    except cf.exceptions.ClientError:
        exists = False
    created = cf.create_change_set(
        StackName=stack, ChangeSetName=f"strata-plan-{uuid.uuid4().hex[:8]}", ChangeSetType="UPDATE" if exists else "CREATE",
        TemplateBody=body, IncludeNestedStacks=True, Capabilities=settings.get("capabilities", "").split(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Tags=[{"Key": k, "Value": v} for k, v in pairs(settings.get("tags", "")).items()])
    try:
        described = wait(cf, created["Id"])
        if described["Status"] == "FAILED":
            if "didn't contain changes" in described.get("StatusReason", "") or "No updates" in described.get("StatusReason", ""):
                print(f"{stack}: no changes")
                return 0
            print(f"{stack}: the change set failed: {described.get('StatusReason')}", file=sys.stderr)
            return 1
        rows = changes(cf, created["Id"], "root")
    finally:
        if not args.keep_change_set:
            cf.delete_change_set(ChangeSetName=created["Id"])
    print(f"{stack} ({args.config_env}, {region}): {len(rows)} changes")
    print(f"  {'layer':<18} {'action':<9} {'resource':<34} {'type':<42} properties")
    for r in rows:
        print(f"  {r['layer']:<18} {r['action']:<9} {r['id']:<34} {r['type']:<42} {r['detail']}")
    risky = [r for r in rows if r["type"] in STATEFUL and r["action"] in ("Replace", "Replace?", "Remove")]
    blocked = [r for r in risky if f"{r['layer']}/{r['id']}" not in args.allow_replace]
    for r in risky:
        if r not in blocked:
            print(f"  allowed by --allow-replace: {r['action']} {r['layer']}/{r['id']}")
    if blocked:
        print("\nREFUSED: this deploy would replace or remove stateful resources, losing or orphaning their data:", file=sys.stderr)
        for r in blocked:
            print(f"  {r['action']:<8} {r['layer']}/{r['id']} ({r['type']}{': ' + r['detail'] if r['detail'] else ''})", file=sys.stderr)
        flags = " ".join(f"--allow-replace {r['layer']}/{r['id']}" for r in blocked)
        print(f"If that is intended (after a snapshot or backup), re-run with {flags}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
