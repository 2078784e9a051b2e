"""The account layer rolled out across an organization by `tools/organization.py deploy` (npm run org:deploy): a service-managed
StackSet on three accounts of an OU in two regions, the management account's twin, then a fourth account enrolled by
automatic deployment when it joins the OU and removed when it leaves, each checked through the APIs of its own
account (credentials from STS AssumeRole select the account, as in moto)."""

from __future__ import annotations

import functools
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment import CIS_STANDARD as CIS
from deployment import FSBP_STANDARD as FSBP
from deployment import REPO, Deployment
from strata_local_cloud.accounts import session_for
from strata_testing import SCRIPT

HOME, OTHER = "us-east-1", "eu-west-1"
REGIONS = [HOME, OTHER]
STACKSETS = "member.org.stacksets.cloudformation.amazonaws.com"
Clients = Callable[[str, str], Any]


@functools.cache  # one session per account: a new one would load every service model it makes a client of again
def clients(deployment: Deployment, account: str) -> Clients:
    session = session_for(deployment.cloud.url, account)
    return lambda service, region: session.client(service, region_name=region, endpoint_url=deployment.cloud.url)


def org_tool(deployment: Deployment, config: Path, command: str = "deploy") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCRIPT, str(REPO / "tools" / "organization.py"), command, "--config", str(config)], cwd=REPO,
                          env={**deployment.env, "AWS_DEFAULT_REGION": HOME, "AWS_REGION": HOME}, capture_output=True, text=True,
                          timeout=1800)


def wait_operations(cf: Any, timeout: float = 600) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        ops = cf.list_stack_set_operations(StackSetName="strata-account")["Summaries"]
        if all(o["Status"] not in ("QUEUED", "RUNNING") for o in ops) or time.monotonic() > deadline:
            return ops
        time.sleep(1)


def layer_is_in_place(c: Clients, account: str, home_region_copy: bool, region: str) -> None:
    """One copy of the account layer in this account and region, as the services report it."""
    config = c("config", region)
    [recorder] = config.describe_configuration_recorders()["ConfigurationRecorders"]
    assert (recorder["name"], recorder["recordingGroup"]["includeGlobalResourceTypes"]) == ("strata-account", home_region_copy), account
    trails = c("cloudtrail", region).describe_trails(includeShadowTrails=False)["trailList"]
    assert [t["Name"] for t in trails] == (["strata-account"] if home_region_copy else []), (account, region)
    standards = {s["StandardsArn"].split("/", 1)[1] for s in c("securityhub", region).get_enabled_standards()["StandardsSubscriptions"]}
    assert standards == {FSBP, CIS}, (account, region)
    assert c("ec2", region).get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True, (account, region)
    assert c("guardduty", region).list_detectors()["DetectorIds"], (account, region)


@pytest.fixture(scope="module")
def organization(account_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    deployment = Deployment("organization")
    try:
        org = deployment.client("organizations")
        org.create_organization(FeatureSet="ALL")
        org.enable_aws_service_access(ServicePrincipal=STACKSETS)
        root = org.list_roots()["Roots"][0]["Id"]
        ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
        accounts = []
        for n in range(3):
            account = org.create_account(AccountName=f"workload-{n}", Email=f"workload-{n}@example.com")["CreateAccountStatus"]["AccountId"]
            org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
            accounts.append(account)
        config = tmp_path_factory.mktemp("org") / "rollout.toml"
        config.write_text("\n".join([
            f'home_region = "{HOME}"', f"regions = {REGIONS!r}".replace("'", '"'), f'organizational_unit_ids = ["{ou}"]',
            'call_as = "SELF"', 'alarm_email = "security@example.com"', "create_trail = true", "create_security_hub = true",
            "create_guardduty_detector = true", 'guard_hook_mode = "WARN"', "max_concurrent_percentage = 100",
            "failure_tolerance_percentage = 0", 'preview_role_name = "OrganizationAccountAccessRole"', ""]))
        result = org_tool(deployment, config)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        yield {"deployment": deployment, "org": org, "root": root, "ou": ou, "accounts": accounts, "config": config, "output": result.stdout}
    finally:
        deployment.stop()


def test_every_account_of_the_ou_gets_the_account_layer_in_every_region_once(organization: dict[str, Any]):
    deployment: Deployment = organization["deployment"]
    cf = deployment.client("cloudformation")
    instances = {(i["Account"], i["Region"]): i for i in cf.list_stack_instances(StackSetName="strata-account")["Summaries"]}
    assert set(instances) == {(a, r) for a in organization["accounts"] for r in REGIONS}
    assert {(i["Status"], i["StackInstanceStatus"]["DetailedStatus"]) for i in instances.values()} == {("CURRENT", "SUCCEEDED")}
    for account in organization["accounts"]:
        c = clients(deployment, account)
        for region in REGIONS:
            layer_is_in_place(c, account, region == HOME, region)
        # the account's global settings, made once, in the home region's copy
        assert c("iam", HOME).get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14
        # one trail per account: the multi-region one in the home region
        assert sum(len(c("cloudtrail", r).describe_trails(includeShadowTrails=False)["trailList"]) for r in REGIONS) == 1


def test_the_management_account_has_its_twin_and_no_stack_instance(organization: dict[str, Any]):
    deployment: Deployment = organization["deployment"]
    master = deployment.client("sts").get_caller_identity()["Account"]
    cf = deployment.client("cloudformation")
    assert master not in {i["Account"] for i in cf.list_stack_instances(StackSetName="strata-account")["Summaries"]}
    local = deployment.clients
    for region in REGIONS:
        assert local(region)("cloudformation").describe_stacks(StackName="strata-account")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        layer_is_in_place(lambda service, r: local(r)(service), master, region == HOME, region)


def test_the_artifacts_are_readable_by_the_organization_only(organization: dict[str, Any]):
    deployment: Deployment = organization["deployment"]
    master = deployment.client("sts").get_caller_identity()["Account"]
    s3 = deployment.client("s3")
    bucket = f"strata-org-artifacts-{master}-{HOME}"
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="strata-account/")["Contents"] if o["Key"].endswith(".json"))
    member = clients(deployment, organization["accounts"][0])("s3", HOME)
    assert member.get_object(Bucket=bucket, Key=key)["Body"].read()
    outsider = clients(deployment, "999988887777")("s3", HOME)
    with pytest.raises(outsider.exceptions.ClientError, match="AccessDenied"):
        outsider.get_object(Bucket=bucket, Key=key)


def test_plan_after_the_rollout_reports_nothing_to_do(organization: dict[str, Any]):
    result = org_tool(organization["deployment"], organization["config"], "plan")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = [line.split() for line in result.stdout.splitlines() if line.strip().split()[:1] and line.strip().split()[0] in organization["accounts"]]
    assert len(rows) == 6 and {r[2] for r in rows} == {"none"}, result.stdout


def test_an_account_that_joins_the_ou_is_enrolled_and_one_that_leaves_is_removed(organization: dict[str, Any]):
    deployment: Deployment = organization["deployment"]
    org, root, ou = organization["org"], organization["root"], organization["ou"]
    cf = deployment.client("cloudformation")
    fourth = org.create_account(AccountName="workload-3", Email="workload-3@example.com")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=fourth, SourceParentId=root, DestinationParentId=ou)
    ops = wait_operations(cf)
    assert {o["Status"] for o in ops} == {"SUCCEEDED"}, ops
    c = clients(deployment, fourth)
    for region in REGIONS:
        layer_is_in_place(c, fourth, region == HOME, region)
    stacks = [i["StackId"] for i in cf.list_stack_instances(StackSetName="strata-account")["Summaries"] if i["Account"] == fourth]
    assert len(stacks) == 2

    org.move_account(AccountId=fourth, SourceParentId=ou, DestinationParentId=root)
    ops = wait_operations(cf)
    assert ops[0]["Action"] == "DELETE" and ops[0]["Status"] == "SUCCEEDED", ops
    assert fourth not in {i["Account"] for i in cf.list_stack_instances(StackSetName="strata-account")["Summaries"]}
    for stack_id, region in zip(stacks, [s.split(":")[3] for s in stacks], strict=True):
        assert c("cloudformation", region).describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    # what the layer set stays (RestoreSettingsOnDelete on-rollback): deleting it never weakens the account
    assert c("ec2", HOME).get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert c("config", HOME).describe_configuration_recorders()["ConfigurationRecorders"] == []
