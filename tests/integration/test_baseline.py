"""The deployed baseline, checked through the AWS APIs: what an auditor would look at."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deployment import CIS_PATTERNS, Baseline, check_nat_gateways, check_vpc_endpoints


def ids(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def test_vpc_has_the_layer_cidr_and_the_stack_tags(baseline: Baseline):
    vpc = baseline.client("ec2").describe_vpcs(VpcIds=[baseline.outputs["VpcId"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == baseline.layer_parameters("Network")["VpcCidr"]
    tags = {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}
    assert {"Project", "Owner", "CostCenter", "Environment"} <= set(tags)
    assert tags["Project"] == "strata"


def test_each_tier_has_one_subnet_in_each_discovered_zone(baseline: Baseline):
    zones = ids(baseline.outputs["AvailabilityZones"])
    assert len(zones) == int(baseline.config["AzCount"])
    ec2 = baseline.client("ec2")
    for tier in ("PublicSubnetIds", "AppSubnetIds", "DataSubnetIds"):
        subnets = ec2.describe_subnets(SubnetIds=ids(baseline.outputs[tier]))["Subnets"]
        assert sorted(s["AvailabilityZone"] for s in subnets) == sorted(zones), tier
        assert all(s["VpcId"] == baseline.outputs["VpcId"] for s in subnets)
    public = ec2.describe_subnets(SubnetIds=ids(baseline.outputs["PublicSubnetIds"]))["Subnets"]
    private = ec2.describe_subnets(SubnetIds=ids(baseline.outputs["AppSubnetIds"]) + ids(baseline.outputs["DataSubnetIds"]))["Subnets"]
    assert not any(s["MapPublicIpOnLaunch"] for s in private)
    assert all(s["MapPublicIpOnLaunch"] is False for s in public)  # nothing in the public tier needs an automatic public IP


def _routes(ec2, subnet_id: str) -> list[dict]:
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["RouteTables"]
    assert len(tables) == 1, f"{subnet_id} must have its own explicit route table"
    return tables[0]["Routes"]


def test_data_subnets_are_isolated_and_app_subnets_leave_through_nat(baseline: Baseline):
    ec2 = baseline.client("ec2")
    for subnet in ids(baseline.outputs["DataSubnetIds"]):
        assert [r for r in _routes(ec2, subnet) if r.get("DestinationCidrBlock") == "0.0.0.0/0"] == [], subnet
    for subnet in ids(baseline.outputs["AppSubnetIds"]):
        default = [r for r in _routes(ec2, subnet) if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(default) == 1 and default[0].get("NatGatewayId", "").startswith("nat-"), subnet
    for subnet in ids(baseline.outputs["PublicSubnetIds"]):
        default = [r for r in _routes(ec2, subnet) if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(default) == 1 and default[0].get("GatewayId", "").startswith("igw-"), subnet


def test_nat_gateways_match_the_environment(baseline: Baseline):
    nats = [n for n in baseline.client("ec2").describe_nat_gateways(
        Filters=[{"Name": "vpc-id", "Values": [baseline.outputs["VpcId"]]}])["NatGateways"] if n["State"] != "deleted"]
    mode = baseline.params.get("NatGatewayMode") or baseline.config["NatGatewayMode"]
    expected = int(baseline.config["AzCount"]) if mode == "per-az" else 1
    assert len(nats) == expected
    check_nat_gateways(baseline, mode)


def test_s3_goes_through_the_gateway_endpoint_and_the_interface_endpoints_match_the_environment(baseline: Baseline):
    check_vpc_endpoints(baseline)


def _group(ec2, group_id: str) -> dict:
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def test_security_groups_reference_each_other_and_nothing_else(baseline: Baseline):
    ec2 = baseline.client("ec2")
    net = baseline.layer_parameters("Network")
    alb_sg, app_sg, db_sg = (baseline.resources("Network", "AWS::EC2::SecurityGroup")[k]
                             for k in ("AlbSecurityGroup", "AppSecurityGroup", "DatabaseSecurityGroup"))
    alb, app, db = _group(ec2, alb_sg), _group(ec2, app_sg), _group(ec2, db_sg)
    assert sorted((p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in alb["IpPermissions"]) == [(80, net["AlbIngressCidr"]), (443, net["AlbIngressCidr"])]
    [from_alb] = app["IpPermissions"]
    assert (from_alb["FromPort"], from_alb["UserIdGroupPairs"][0]["GroupId"], from_alb.get("IpRanges", [])) == (int(net["AppPort"]), alb_sg, [])
    sources = sorted(pair["GroupId"] for p in db["IpPermissions"] for pair in p.get("UserIdGroupPairs", []))
    verifier_sg = baseline.resources("Verifier", "AWS::EC2::SecurityGroup")["VerifierSecurityGroup"]
    assert sources == sorted([app_sg, verifier_sg])
    assert all(p["FromPort"] == 3306 and not p.get("IpRanges") for p in db["IpPermissions"])
    assert [r["CidrIp"] for p in db["IpPermissionsEgress"] for r in p.get("IpRanges", [])] == ["127.0.0.1/32"]


def test_the_default_security_group_is_empty(baseline: Baseline):
    ec2 = baseline.client("ec2")
    [group] = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [baseline.outputs["VpcId"]]},
                                                    {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []


def test_vpc_flow_logs_capture_all_traffic(baseline: Baseline):
    logs = baseline.client("ec2").describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [baseline.outputs["VpcId"]]}])["FlowLogs"]
    assert [(f["TrafficType"], f["LogDestinationType"]) for f in logs] == [("ALL", "cloud-watch-logs")]
    assert logs[0]["LogGroupName"] == baseline.layer_parameters("Network").get("FlowLogGroupName", logs[0]["LogGroupName"])


def _db(baseline: Baseline) -> dict:
    [db] = baseline.client("rds").describe_db_instances(
        Filters=[{"Name": "db-instance-id", "Values": [baseline.resources("Database", "AWS::RDS::DBInstance")["DbInstance"]]}])["DBInstances"]
    return db


def test_the_database_is_encrypted_private_and_sized_for_the_environment(baseline: Baseline):
    db = _db(baseline)
    assert db["StorageEncrypted"] is True and db["KmsKeyId"] == baseline.outputs["KmsKeyArn"]
    assert db["PubliclyAccessible"] is False
    assert db["MultiAZ"] is (baseline.config["DbMultiAz"] == "true")
    assert db["DeletionProtection"] is (baseline.config["DeletionProtection"] == "true")
    assert db["DBInstanceClass"] == baseline.config["DbInstanceClass"]
    assert db["EngineVersion"] == baseline.outputs["DbEngineVersion"]
    assert db["IAMDatabaseAuthenticationEnabled"] is True
    assert sorted(db["EnabledCloudwatchLogsExports"]) == ["error", "slowquery"]
    assert db["MasterUserSecret"]["SecretArn"] == baseline.outputs["DbSecretArn"]
    assert {g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]} == {baseline.resources("Network", "AWS::EC2::SecurityGroup")["DatabaseSecurityGroup"]}


def test_the_parameter_group_enforces_tls(baseline: Baseline):
    group = _db(baseline)["DBParameterGroups"][0]["DBParameterGroupName"]
    pages = baseline.client("rds").get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group, Source="user")
    values = {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}
    assert values["require_secure_transport"] in ("1", "ON")


def _tls_only(s3: Any, name: str) -> bool:
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s.get("Condition", {}))]
    return bool(deny) and deny[0]["Condition"]["Bool"]["aws:SecureTransport"] in (False, "false")


def test_log_buckets_are_encrypted_versioned_private_and_tls_only(baseline: Baseline):
    s3 = baseline.client("s3")
    environment = baseline.resources("Storage", "AWS::S3::Bucket")
    archive = baseline.account_resources("AWS::S3::Bucket")
    assert set(environment) == {"AccessLogsBucket", "AlbLogsBucket"}
    assert {"AuditAccessLogsBucket", "ConfigBucket"} <= set(archive)
    key = baseline.account_outputs["AccountKeyArn"]
    for logical_id, name in [*environment.items(), *archive.items()]:
        rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        if logical_id in ("AlbLogsBucket", "AccessLogsBucket", "AuditAccessLogsBucket"):
            assert rule["SSEAlgorithm"] == "AES256"  # ELB access logs and S3 server access logs support SSE-S3 only
        else:
            assert (rule["SSEAlgorithm"], rule["KMSMasterKeyID"]) == ("aws:kms", key), logical_id
        assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled", logical_id
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4, logical_id
        assert _tls_only(s3, name), logical_id


def test_the_account_has_one_trail_multi_region_validated_encrypted_and_logging(baseline: Baseline):
    """The environment creates no trail of its own: the account layer's one trail records it."""
    ct = baseline.client("cloudtrail")
    assert not any(baseline.resources(layer, "AWS::CloudTrail::Trail") for layer in baseline.layers)
    [trail] = ct.describe_trails(includeShadowTrails=True)["trailList"]
    assert trail["TrailARN"] == baseline.account_outputs["TrailArn"]
    assert trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"] and trail["IncludeGlobalServiceEvents"]
    assert trail["KmsKeyId"] == baseline.account_outputs["AccountKeyArn"]
    assert trail["CloudWatchLogsLogGroupArn"]
    assert ct.get_trail_status(Name=trail["TrailARN"])["IsLogging"] is True


def test_config_records_on_the_account_recorder_and_evaluates_the_account_and_environment_rules(baseline: Baseline):
    config = baseline.client("config")
    assert not any(baseline.resources(layer, "AWS::Config::ConfigurationRecorder") for layer in baseline.layers)
    [recorder] = config.describe_configuration_recorders()["ConfigurationRecorders"]
    assert recorder["name"] == baseline.outputs["ConfigRecorderName"]
    assert all(s["recording"] for s in config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"])
    rules = {r["ConfigRuleName"]: r for r in config.describe_config_rules()["ConfigRules"]}
    account = set(baseline.account_resources("AWS::Config::ConfigRule").values())
    environment = set(baseline.resources("Compliance", "AWS::Config::ConfigRule").values())
    assert account and environment and account | environment <= set(rules)
    suffix = baseline.params["EnvironmentSuffix"]
    # the environment's rules judge its own resources only: the tag the database carries
    assert {(rules[n]["Scope"]["TagKey"], rules[n]["Scope"]["TagValue"]) for n in environment} == {("strata:environment", suffix)}
    assert {"Key": "strata:environment", "Value": suffix} in _db(baseline)["TagList"]


def test_the_cis_alarms_watch_the_exact_patterns(baseline: Baseline):
    logs, cw = baseline.client("logs"), baseline.client("cloudwatch")
    filters = logs.describe_metric_filters(logGroupName=baseline.account_outputs["TrailLogGroupName"])["metricFilters"]
    assert sorted(f["filterPattern"] for f in filters) == sorted(CIS_PATTERNS)
    alarms = {(a["Namespace"], a["MetricName"]): a for a in cw.describe_alarms(MaxRecords=100)["MetricAlarms"]}
    for f in filters:
        metric = f["metricTransformations"][0]
        alarm = alarms[(metric["metricNamespace"], metric["metricName"])]
        assert alarm["AlarmActions"] == [baseline.account_outputs["AlarmTopicArn"]], f["filterName"]


def test_the_launch_template_requires_imdsv2_and_encrypts_volumes(baseline: Baseline):
    lt_id = baseline.resources("Compute", "AWS::EC2::LaunchTemplate")["LaunchTemplate"]
    data = baseline.client("ec2").describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=["$Latest"])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert int(data["MetadataOptions"]["HttpPutResponseHopLimit"]) == 1
    assert all(m["Ebs"]["Encrypted"] for m in data["BlockDeviceMappings"])
    assert not any(n.get("AssociatePublicIpAddress") for n in data.get("NetworkInterfaces", []))


def test_logs_and_the_alarm_topic_use_the_environment_key(baseline: Baseline):
    key = baseline.outputs["KmsKeyArn"]
    groups = [g for layer in baseline.layers for g in baseline.resources(layer, "AWS::Logs::LogGroup").values()]
    described = {g["logGroupName"]: g for g in baseline.client("logs").describe_log_groups()["logGroups"]}
    assert groups and all(described[g].get("kmsKeyId") == key for g in groups)
    attributes = baseline.client("sns").get_topic_attributes(TopicArn=baseline.outputs["AlarmTopicArn"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == key
    assert baseline.client("kms").get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True


@pytest.mark.parametrize("layer", ["Network", "Compute", "Database", "Storage"])
def test_resources_carry_the_stack_tags(baseline: Baseline, layer: str):
    cf = baseline.client("cloudformation")
    tags = {t["Key"]: t["Value"] for t in cf.describe_stacks(StackName=baseline.stack)["Stacks"][0]["Tags"]}
    if layer == "Network":
        found = baseline.client("ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [baseline.outputs["VpcId"]]}])["Tags"]
        got = {t["Key"]: t["Value"] for t in found}
    elif layer == "Compute":
        arn = baseline.resources("Compute", "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancer"]
        got = {t["Key"]: t["Value"] for t in baseline.client("elbv2").describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]}
    elif layer == "Database":
        got = {t["Key"]: t["Value"] for t in _db(baseline).get("TagList", [])}
    else:
        bucket = baseline.resources("Storage", "AWS::S3::Bucket")["AlbLogsBucket"]
        got = {t["Key"]: t["Value"] for t in baseline.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags and all(got.get(k) == v for k, v in tags.items()), (layer, got)


def test_tls_verification_ran_and_reports_every_check(baseline: Baseline):
    summary = baseline.outputs["TlsVerification"]
    mode = baseline.config["TlsVerificationMode"]
    assert summary.startswith(f"{mode}: ")
    checks = {o["OutputKey"]: o["OutputValue"] for o in baseline.client("cloudformation").describe_stacks(
        StackName=baseline.layers["Verification"])["Stacks"][0]["Outputs"]}
    assert checks["RequireSecureTransport"].startswith("pass: require_secure_transport=1")
    for key in ("DatabaseTls", "TlsLogin", "PlaintextLoginRefused", "AlbTls", "HttpRedirect"):
        assert checks[key].split(":", 1)[0] in ("pass", "fail", "skip"), key
        assert len(checks[key]) > len("pass: "), f"{key} must say what was (not) verified"
