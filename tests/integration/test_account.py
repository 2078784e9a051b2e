"""The account layer (account/template.yaml) deployed with `sam deploy --config-env account-local`, as on AWS: once in
the region that holds the account's global settings and once in a second region; its settings, services and
custom resources checked through the APIs; a failed first create and both deletes."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment import ACCOUNT_CONTROLS, CIS_PATTERNS, Deployment
from deployment import CIS_STANDARD as CIS
from deployment import FSBP_STANDARD as FSBP
from strata_local_cloud.testing import s3control_client

ACCOUNT = "123456789012"
GLOBAL, OTHER = "us-east-1", "eu-west-1"
Clients = Callable[[str], Any]


@pytest.fixture()
def cloud(account_build: Path) -> Iterator[Deployment]:
    deployment = Deployment("account")
    try:
        yield deployment
    finally:
        deployment.stop()


# Lambda takes code only from a bucket in the function's region: each region has its artifacts bucket.
BUCKETS = {GLOBAL: "strata-local-artifacts", OTHER: "strata-local-artifacts-eu"}


def deploy(deployment: Deployment, region: str, *overrides: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return deployment.deploy_account(region, BUCKETS[region], *overrides, check=check)


def delete(deployment: Deployment, region: str) -> None:
    deployment.delete_account(region, BUCKETS[region])


RECORDER_PARAMETER = "/strata/account/config/recorder-name"


def recorders(c: Clients) -> list[tuple[str, bool]]:
    found = c("config").describe_configuration_recorders()["ConfigurationRecorders"]
    return [(r["name"], r["recordingGroup"]["includeGlobalResourceTypes"]) for r in found]


def config_rules(c: Clients) -> set[str]:
    return {r["ConfigRuleName"] for r in c("config").describe_config_rules()["ConfigRules"]}


def listed_rules(*, global_region: bool) -> set[str]:
    """The managed rules data/account-controls.yaml lists for a region (IAM ones in the global resources region only)."""
    return {f"strata-account-{r['name']}" for r in ACCOUNT_CONTROLS["configRules"] if global_region or not r.get("globalOnly")}


def password_policy(c: Clients) -> dict[str, Any] | None:
    iam = c("iam")
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        return None


def public_access_block(deployment: Deployment) -> dict[str, Any] | None:
    s3control = s3control_client(deployment.session(GLOBAL), deployment.cloud.url)
    try:
        return s3control.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
    except s3control.exceptions.NoSuchPublicAccessBlockConfiguration:
        return None


def disabled_controls(c: Clients, standard: str) -> set[str]:
    sub = f"arn:aws:securityhub:{c('sts').meta.region_name}:{ACCOUNT}:subscription/{standard}"
    return {x["ControlId"] for x in c("securityhub").describe_standards_controls(StandardsSubscriptionArn=sub)["Controls"]
            if x["ControlStatus"] == "DISABLED"}


def test_the_account_layer_in_two_regions_sets_each_control_once_and_deletes_without_weakening_the_account(cloud: Deployment) -> None:
    home, other = cloud.clients(GLOBAL), cloud.clients(OTHER)
    other("s3").create_bucket(Bucket=BUCKETS[OTHER], CreateBucketConfiguration={"LocationConstraint": OTHER})

    # the global resources region: every setting, both standards with every control on, a detector with S3 protection
    deploy(cloud, GLOBAL)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in home("cloudformation").describe_stacks(StackName="strata-account")["Stacks"][0]["Outputs"]}
    assert password_policy(home) is not None
    assert password_policy(home)["MinimumPasswordLength"] == 14
    assert password_policy(home)["PasswordReusePrevention"] == 24
    assert public_access_block(cloud) == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert home("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert home("ec2").get_ebs_default_kms_key_id()["KmsKeyId"] == outputs["AccountKeyArn"] == outputs["EbsDefaultKmsKeyId"]
    enabled = {s["StandardsArn"] for s in home("securityhub").get_enabled_standards()["StandardsSubscriptions"]}
    assert enabled == {f"arn:aws:securityhub:{GLOBAL}::standards/{FSBP}", f"arn:aws:securityhub:{GLOBAL}::standards/{CIS}"}
    assert disabled_controls(home, FSBP) == disabled_controls(home, CIS) == set()
    detector = home("guardduty").get_detector(DetectorId=outputs["GuardDutyDetectorId"])
    assert detector["Status"] == "ENABLED"
    assert {f["Name"]: f["Status"] for f in detector["Features"]} == {"S3_DATA_EVENTS": "ENABLED"}
    assert outputs["IsGlobalResourcesRegion"] == "true"
    analyzers = home("accessanalyzer").list_analyzers()["analyzers"]
    assert [(a["name"], a["type"], a["arn"]) for a in analyzers] == [("strata-account", "ACCOUNT", outputs["AccessAnalyzerArn"])]
    # the account's one trail: multi-region, validated, under the account key, logging, with the CIS alarms on its copy
    [trail] = home("cloudtrail").describe_trails(includeShadowTrails=False)["trailList"]
    assert (trail["Name"], trail["TrailARN"]) == ("strata-account", outputs["TrailArn"])
    assert trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"] and trail["IncludeGlobalServiceEvents"]
    assert trail["KmsKeyId"] == outputs["AccountKeyArn"] and trail["S3BucketName"] == outputs["TrailBucketName"]
    assert home("cloudtrail").get_trail_status(Name=trail["TrailARN"])["IsLogging"] is True
    # every management event, and S3 object writes (the default S3DataEvents) of every bucket but the trail's own
    selected = home("cloudtrail").get_event_selectors(TrailName=trail["TrailARN"])
    assert not selected.get("EventSelectors")
    management, data = selected["AdvancedEventSelectors"]
    assert management["FieldSelectors"] == [{"Field": "eventCategory", "Equals": ["Management"]}]
    assert {f["Field"]: f for f in data["FieldSelectors"]} == {
        "eventCategory": {"Field": "eventCategory", "Equals": ["Data"]},
        "resources.type": {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        "readOnly": {"Field": "readOnly", "Equals": ["false"]},
        "resources.ARN": {"Field": "resources.ARN", "NotStartsWith": [f"arn:aws:s3:::{outputs['TrailBucketName']}/"]}}
    filters = home("logs").describe_metric_filters(logGroupName=outputs["TrailLogGroupName"])["metricFilters"]
    assert sorted(f["filterPattern"] for f in filters) == sorted(CIS_PATTERNS)
    alarms = [a for a in home("cloudwatch").describe_alarms(MaxRecords=100)["MetricAlarms"] if a["Namespace"] == "Strata/CIS"]
    assert len(alarms) == 15 and {tuple(a["AlarmActions"]) for a in alarms} == {(outputs["AlarmTopicArn"],)}
    assert home("sns").get_topic_attributes(TopicArn=outputs["AlarmTopicArn"])["Attributes"]["KmsMasterKeyId"] == outputs["AccountKeyArn"]
    # one recorder, recording global resources here, delivering to the account's Config bucket; the name in SSM
    assert recorders(home) == [("strata-account", True)]
    assert home("config").describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]["recording"] is True
    [channel] = home("config").describe_delivery_channels()["DeliveryChannels"]
    assert (channel["s3BucketName"], channel["s3KmsKeyArn"]) == (outputs["ConfigBucketName"], outputs["AccountKeyArn"])
    assert home("ssm").get_parameter(Name=RECORDER_PARAMETER)["Parameter"]["Value"] == "strata-account"
    assert config_rules(home) == listed_rules(global_region=True)
    assert {"strata-account-iam-password-policy", "strata-account-restricted-ssh"} <= config_rules(home)

    # a second region: EBS encryption by default there too, no second copy of the global settings, IAM controls off
    deploy(cloud, OTHER, f"GlobalResourcesRegion={GLOBAL}")
    types = {r["ResourceType"] for r in other("cloudformation").list_stack_resources(StackName="strata-account")["StackResourceSummaries"]}
    assert "Custom::EbsDefaultEncryption" in types
    assert not types & {"Custom::IamPasswordPolicy", "Custom::S3AccountPublicAccessBlock"}
    assert other("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert other("ec2").get_ebs_default_kms_key_id()["KmsKeyId"].startswith(f"arn:aws:kms:{OTHER}:{ACCOUNT}:key/")
    assert disabled_controls(other, FSBP) == {"IAM.1", "IAM.2", "IAM.3", "IAM.4", "IAM.5", "IAM.6", "IAM.7", "IAM.8", "IAM.21"}
    assert {"1.4", "1.8", "1.9", "1.14"} <= disabled_controls(other, CIS)
    assert [a["name"] for a in other("accessanalyzer").list_analyzers()["analyzers"]] == ["strata-account"]  # CIS 1.20: every region
    # no second trail (the multi-region one records this region), a recorder of this region's resources only
    assert other("cloudtrail").describe_trails(includeShadowTrails=False)["trailList"] == []
    assert "AWS::CloudTrail::Trail" not in types
    assert recorders(other) == [("strata-account", False)]
    assert other("ssm").get_parameter(Name=RECORDER_PARAMETER)["Parameter"]["Value"] == "strata-account"
    assert config_rules(other) == listed_rules(global_region=False)
    assert "strata-account-restricted-ssh" in config_rules(other) and "strata-account-iam-password-policy" not in config_rules(other)

    # deleting the layer keeps the settings (RestoreSettingsOnDelete: on-rollback) and the key (it encrypts volumes)
    delete(cloud, OTHER)
    delete(cloud, GLOBAL)
    assert password_policy(home)["MinimumPasswordLength"] == 14
    assert home("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert home("kms").describe_key(KeyId=outputs["AccountKeyArn"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert home("guardduty").list_detectors()["DetectorIds"] == []
    assert home("accessanalyzer").list_analyzers()["analyzers"] == []
    with pytest.raises(home("securityhub").exceptions.InvalidAccessException):
        home("securityhub").describe_hub()
    # the trail and the recorders stop with the layer; their deliveries are audit evidence and stay
    assert home("cloudtrail").describe_trails()["trailList"] == []
    assert recorders(home) == recorders(other) == []
    buckets = {b["Name"] for b in home("s3").list_buckets()["Buckets"]}
    assert {outputs["TrailBucketName"], outputs["ConfigBucketName"]} <= buckets
    with pytest.raises(home("ssm").exceptions.ParameterNotFound):
        home("ssm").get_parameter(Name=RECORDER_PARAMETER)


def test_restore_always_puts_back_what_the_account_had_before_the_layer(cloud: Deployment) -> None:
    home = cloud.clients(GLOBAL)
    home("iam").update_account_password_policy(MinimumPasswordLength=8)

    deploy(cloud, GLOBAL, "RestoreSettingsOnDelete=always", "S3DataEvents=all")
    assert password_policy(home)["MinimumPasswordLength"] == 14
    # S3DataEvents=all: object reads too (no readOnly filter), still never the trail's own bucket
    [_, data] = home("cloudtrail").get_event_selectors(TrailName="strata-account")["AdvancedEventSelectors"]
    assert [f["Field"] for f in data["FieldSelectors"]] == ["eventCategory", "resources.type", "resources.ARN"]
    delete(cloud, GLOBAL)

    assert password_policy(home)["MinimumPasswordLength"] == 8
    assert public_access_block(cloud) is None
    assert home("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert home("ec2").get_ebs_default_kms_key_id()["KmsKeyId"].endswith(":alias/aws/ebs")


def test_a_failed_first_create_rolls_back_to_nothing_and_the_delegated_administrator_case_deploys(cloud: Deployment) -> None:
    """A detector the organization's GuardDuty administrator created already exists: the layer's own is refused
    ("a detector already exists"), the create rolls back to nothing; with CreateGuardDutyDetector=false it deploys."""
    home = cloud.clients(GLOBAL)
    existing = home("guardduty").create_detector(Enable=True)["DetectorId"]

    refused = deploy(cloud, GLOBAL, check=False)
    assert refused.returncode != 0
    cf = home("cloudformation")
    stack = cf.describe_stacks(StackName="strata-account")["Stacks"][0]
    reasons = [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName=stack["StackId"])["StackEvents"]]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE", reasons
    assert any("a detector already exists" in r for r in reasons), reasons
    assert password_policy(home) is None
    assert public_access_block(cloud) is None
    assert home("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert [k for k in home("kms").list_aliases()["Aliases"] if k["AliasName"] == "alias/strata-account"] == []
    assert home("lambda").list_functions()["Functions"] == []
    # the log archive the create made is emptied and removed by the rollback (RetainExceptOnCreate, When: on-rollback)
    assert {b["Name"] for b in home("s3").list_buckets()["Buckets"]} == {BUCKETS[GLOBAL]}
    assert recorders(home) == [] and home("cloudtrail").describe_trails()["trailList"] == []
    delete(cloud, GLOBAL)

    deploy(cloud, GLOBAL, "CreateGuardDutyDetector=false")
    assert home("guardduty").list_detectors()["DetectorIds"] == [existing]
    assert password_policy(home)["MinimumPasswordLength"] == 14


def test_the_environment_deploys_under_the_guard_hook_in_fail_mode_and_every_rule_it_targets_passes(deployed: Deployment) -> None:
    """The account layer's Guard hook (FAIL mode in account-local) runs Strata's rules on the environment's DB instance,
    parameter group and launch template: the baseline must pass its own rules, or the quick start would stop. Read from
    the shared dev deployment (conftest.py), the quick start's own two deploys."""
    cf = deployed.client("cloudformation")
    assert cf.describe_stacks(StackName="strata-account")["Stacks"][0]["Outputs"]
    stacks = [s["StackId"] for s in cf.list_stacks()["StackSummaries"] if s["StackStatus"] == "CREATE_COMPLETE"]
    hook_events = [e for s in stacks for e in cf.describe_stack_events(StackName=s)["StackEvents"] if e.get("HookType")]
    assert {e["ResourceType"] for e in hook_events} == {"AWS::RDS::DBInstance", "AWS::RDS::DBParameterGroup", "AWS::EC2::LaunchTemplate"}
    assert {(e["HookType"], e["HookStatus"], e["HookFailureMode"]) for e in hook_events} == {
        ("Strata::Policy::Guard", "HOOK_COMPLETE_SUCCEEDED", "FAIL")}, [e.get("HookStatusReason") for e in hook_events]
