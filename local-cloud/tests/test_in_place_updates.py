"""In-place updates as CloudFormation performs them: for every type the templates use, a change to a property
the registry schema does not mark create-only updates the resource where it is (same physical ID, the service
shows the new value), and the local cloud refuses, naming it, an updatable property its provider cannot apply.

One stack holds a resource of each type; one update changes one property of each. It runs in its own region so
the account singletons it creates (the Config recorder) meet nothing else in the session's local cloud.
"""

from __future__ import annotations

import copy
import functools
import glob
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from strata_local_cloud.cfn.providers import provider_for
from strata_local_cloud.cfn.replacement import create_only, updatable
from strata_local_cloud.cfn.template import yaml_parse
from strata_local_cloud.testing import function_code
from strata_local_cloud.testing import wait_stack as wait

REPO = Path(__file__).resolve().parents[2]
# one stack made by the module fixture below serves every test: keep them on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("local-cloud-in-place-updates")
REGION = "eu-west-2"
UID = uuid.uuid4().hex[:8]
ACCOUNT = "123456789012"

# The resource types of the templates (after the SAM transform) with nothing an update can change in place, or
# whose in-place update another test exercises.
ELSEWHERE = {
    "AWS::CloudFormation::Stack": "test_stack_lifecycle.py::test_nested_stacks_end_update_rollback_complete_when_their_parent_update_rolls_back",
    "AWS::RDS::DBInstance": "test_engine.py::test_a_major_upgrade_modifies_the_instance_in_place_only_with_allow_major_version_upgrade",
}


def _ref(x: str) -> dict[str, str]:
    return {"Ref": x}


def _att(x: str, a: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [x, a]}


def _tags(v: str) -> list[dict[str, str]]:
    return [{"Key": "Stage", "Value": v}]


def _assume(service: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


def _bucket_policy(bucket: str, sid: str) -> dict[str, Any]:
    """TLS only, and the writes CloudTrail and Config check for when the trail and the delivery channel are created
    (the local cloud refuses them otherwise, as AWS does)."""
    deliver = [{"Effect": "Allow", "Principal": {"Service": s}, "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"}
               for s in ("cloudtrail.amazonaws.com", "config.amazonaws.com")]
    deliver += [{"Effect": "Allow", "Principal": {"Service": s}, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/*",
                 "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}
                for s in ("cloudtrail.amazonaws.com", "config.amazonaws.com")]
    return {"Version": "2012-10-17", "Statement": [{"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            *deliver]}


def template(after: bool, code: dict[str, str]) -> dict[str, Any]:
    """The stack before (after=False) and after the update; `v` picks the value of the one changed property per type."""

    def v(before: Any, later: Any) -> Any:
        return later if after else before

    bucket = f"inplace-{UID}"
    r: dict[str, Any] = {
        # EC2 networking
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.90.0.0/16", "EnableDnsSupport": True,
                                                        "EnableDnsHostnames": v(False, True)}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": _ref("Vpc"), "CidrBlock": "10.90.1.0/24",
                                                               "AvailabilityZone": f"{REGION}a", "MapPublicIpOnLaunch": v(False, True)}},
        "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": _ref("Vpc"), "CidrBlock": "10.90.2.0/24", "AvailabilityZone": f"{REGION}b"}},
        "Igw": {"Type": "AWS::EC2::InternetGateway", "Properties": {"Tags": _tags(v("one", "two"))}},
        "Igw2": {"Type": "AWS::EC2::InternetGateway"},
        "Attach": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {"VpcId": _ref("Vpc"), "InternetGatewayId": _ref(v("Igw", "Igw2"))}},
        "RouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": _ref("Vpc"), "Tags": _tags(v("one", "two"))}},
        "Route": {"Type": "AWS::EC2::Route", "DependsOn": "Attach", "Properties": {"RouteTableId": _ref("RouteTable"),
                                                                                  "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": _ref(v("Igw", "Igw2"))}},
        "Acl": {"Type": "AWS::EC2::NetworkAcl", "Properties": {"VpcId": _ref("Vpc"), "Tags": _tags(v("one", "two"))}},
        "AclEntry": {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {"NetworkAclId": _ref("Acl"), "RuleNumber": 100, "Protocol": 6,
                                                                         "RuleAction": "allow", "CidrBlock": v("10.0.0.0/8", "10.1.0.0/16"),
                                                                         "PortRange": {"From": 443, "To": 443}}},
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "in place", "VpcId": _ref("Vpc"), "Tags": _tags(v("one", "two")),
                                                                 "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                                                           "CidrIp": v("10.0.0.0/8", "10.2.0.0/16")}]}},
        "Sg2": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "rules", "VpcId": _ref("Vpc")}},
        "SgIngress": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": _ref("Sg2"), "IpProtocol": "tcp", "FromPort": 22,
                                                                               "ToPort": 22, "CidrIp": "10.9.0.0/16", "Description": v("a", "b")}},
        "SgEgress": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {"GroupId": _ref("Sg2"), "IpProtocol": "tcp", "FromPort": 5432,
                                                                             "ToPort": 5432, "CidrIp": "10.8.0.0/16", "Description": v("a", "b")}},
        "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc", "Tags": _tags(v("one", "two"))}},
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"AllocationId": _att("Eip", "AllocationId"), "SubnetId": _ref("SubnetB"),
                                                               "Tags": _tags(v("one", "two"))}},
        # a regional NAT gateway takes a second zone, with its address, in place
        "RegionalEipA": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
        "RegionalEipB": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
        "RegionalNat": {"Type": "AWS::EC2::NatGateway", "DependsOn": "Attach", "Properties": {
            "AvailabilityMode": "regional", "VpcId": _ref("Vpc"), "AvailabilityZoneAddresses": [
                {"AvailabilityZone": f"{REGION}a", "AllocationIds": [_att("RegionalEipA", "AllocationId")]},
                *v([], [{"AvailabilityZone": f"{REGION}b", "AllocationIds": [_att("RegionalEipB", "AllocationId")]}])]}},
        "FlowLogGroup": {"Type": "AWS::Logs::LogGroup"},
        "FlowLogRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _assume("vpc-flow-logs.amazonaws.com")}},
        "FlowLog": {"Type": "AWS::EC2::FlowLog", "Properties": {"ResourceId": _ref("Vpc"), "ResourceType": "VPC", "TrafficType": "ALL",
                                                                "LogGroupName": _ref("FlowLogGroup"), "DeliverLogsPermissionArn": _att("FlowLogRole", "Arn"),
                                                                "Tags": _tags(v("one", "two"))}},
        "S3Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": _ref("Vpc"), "VpcEndpointType": "Gateway", "ServiceName": f"com.amazonaws.{REGION}.s3", "RouteTableIds": [_ref("RouteTable")],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": v("a", "b"), "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                                       "Resource": "*"}]}}},
        "LaunchTemplate": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "ImageId": "ami-12c6146b", "InstanceType": v("t4g.micro", "t4g.small")}}},
        # Auto Scaling
        "Asg": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
            "MinSize": "0", "MaxSize": v("2", "3"), "DesiredCapacity": "0", "VPCZoneIdentifier": [_ref("SubnetA"), _ref("SubnetB")],
            "LaunchTemplate": {"LaunchTemplateId": _ref("LaunchTemplate"), "Version": _att("LaunchTemplate", "LatestVersionNumber")}}},
        "ScalingPolicy": {"Type": "AWS::AutoScaling::ScalingPolicy", "Properties": {
            "AutoScalingGroupName": _ref("Asg"), "PolicyType": "TargetTrackingScaling", "TargetTrackingConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}, "TargetValue": v(50, 60)}}},
        # Elastic Load Balancing
        "Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "DependsOn": "Attach", "Properties": {
            "Subnets": [_ref("SubnetA"), _ref("SubnetB")], "SecurityGroups": [_ref("Sg")],
            "LoadBalancerAttributes": [{"Key": "idle_timeout.timeout_seconds", "Value": v("60", "120")}]}},
        "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"VpcId": _ref("Vpc"), "Port": 80, "Protocol": "HTTP",
                                                                                  "HealthCheckPath": v("/a", "/b")}},
        "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": _ref("Lb"), "Port": v(80, 8080), "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": _ref("Tg")}]}},
        # IAM
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _assume("ec2.amazonaws.com"), "Description": v("a", "b")}},
        "Role2": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _assume("ec2.amazonaws.com")}},
        "RolePolicy": {"Type": "AWS::IAM::RolePolicy", "Properties": {"RoleName": _ref("Role"), "PolicyName": "inline", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": v("s3:GetObject", "s3:PutObject"), "Resource": "*"}]}}},
        "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [_ref(v("Role", "Role2"))]}},
        # KMS
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": v("a", "b"), "KeyPolicy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]}}},
        "Key2": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]}}},
        "Alias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": f"alias/inplace-{UID}", "TargetKeyId": _ref(v("Key", "Key2"))}},
        # CloudWatch Logs and alarms
        "LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/inplace/{UID}", "RetentionInDays": v(7, 14)}},
        "MetricFilter": {"Type": "AWS::Logs::MetricFilter", "Properties": {"LogGroupName": _ref("LogGroup"), "FilterPattern": v("ERROR", "FATAL"),
                                                                           "MetricTransformations": [{"MetricName": "Errors", "MetricNamespace": "T",
                                                                                                      "MetricValue": "1"}]}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Errors", "Namespace": "T", "Statistic": "Sum", "Period": 300,
                                                                   "EvaluationPeriods": 1, "Threshold": v(1, 2), "ComparisonOperator": "GreaterThanOrEqualToThreshold"}},
        # SNS
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": v("a", "b")}},
        "Subscription": {"Type": "AWS::SNS::Subscription", "Properties": {"TopicArn": _ref("Topic"), "Protocol": "https",
                                                                          "Endpoint": "https://example.com/hook", "RawMessageDelivery": v(False, True)}},
        "TopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": [_ref("Topic")], "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Sid": v("a", "b"), "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                    "Action": "sns:Publish", "Resource": _ref("Topic")}]}}},
        # S3 and CloudTrail
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket, "VersioningConfiguration": {"Status": v("Enabled", "Suspended")}}},
        "BucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": _ref("Bucket"), "PolicyDocument": _bucket_policy(bucket, v("a", "b"))}},
        "Trail": {"Type": "AWS::CloudTrail::Trail", "DependsOn": "BucketPolicy", "Properties": {
            "S3BucketName": _ref("Bucket"), "IsLogging": True, "EnableLogFileValidation": v(False, True)}},
        # AWS Config
        "ConfigRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _assume("config.amazonaws.com")}},
        "Recorder": {"Type": "AWS::Config::ConfigurationRecorder", "Properties": {"RoleARN": _att("ConfigRole", "Arn"), "RecordingGroup": {
            "AllSupported": True, "IncludeGlobalResourceTypes": v(False, True)}}},
        "Channel": {"Type": "AWS::Config::DeliveryChannel", "DependsOn": ["Recorder", "BucketPolicy"], "Properties": {"S3BucketName": _ref("Bucket"),
                    "ConfigSnapshotDeliveryProperties": {"DeliveryFrequency": v("TwentyFour_Hours", "Twelve_Hours")}}},
        "Rule": {"Type": "AWS::Config::ConfigRule", "DependsOn": "Channel", "Properties": {"Description": v("a", "b"), "Source": {
            "Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"}}},
        # WAF
        "WebAcl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Scope": "REGIONAL", "DefaultAction": {"Allow": {}}, "Description": v("web one", "web two"),
                                                                "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                                                                     "MetricName": "inplace"}}},
        "WafLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"aws-waf-logs-inplace-{UID}"}},
        "WafLogs2": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"aws-waf-logs-inplace2-{UID}"}},
        "WafLogging": {"Type": "AWS::WAFv2::LoggingConfiguration", "Properties": {"ResourceArn": _att("WebAcl", "Arn"),
                                                                                  "LogDestinationConfigs": [_att(v("WafLogs", "WafLogs2"), "Arn")]}},
        # RDS (the instance itself: ELSEWHERE)
        "DbSubnets": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"DBSubnetGroupDescription": v("a", "b"),
                                                                        "SubnetIds": [_ref("SubnetA"), _ref("SubnetB")]}},
        "DbParams": {"Type": "AWS::RDS::DBParameterGroup", "Properties": {"Family": "mysql8.4", "Description": "in place", "Parameters": {
            "require_secure_transport": "1", "max_connections": v("100", "200")}}},
        "DbEvents": {"Type": "AWS::RDS::EventSubscription", "Properties": {"SnsTopicArn": _ref("Topic"), "SourceType": "db-instance",
                                                                           "Enabled": v(True, False)}},
        # Lambda
        "FnRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _assume("lambda.amazonaws.com")}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs22.x", "Handler": "index.handler", "Code": code,
                                                               "Role": _att("FnRole", "Arn"), "Timeout": v(3, 5)}},
    }
    return {"Resources": r}


# What each type's one change looks like in the service, read back after the update.
CHECKS: dict[str, Callable[[Callable[[str], Any], dict[str, str]], Any]] = {
    "AWS::EC2::VPC": lambda c, ids: c("ec2").describe_vpc_attribute(VpcId=ids["Vpc"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"],
    "AWS::EC2::Subnet": lambda c, ids: c("ec2").describe_subnets(SubnetIds=[ids["SubnetA"]])["Subnets"][0]["MapPublicIpOnLaunch"],
    "AWS::EC2::InternetGateway": lambda c, ids: c("ec2").describe_internet_gateways(InternetGatewayIds=[ids["Igw"]])["InternetGateways"][0]["Tags"],
    "AWS::EC2::VPCGatewayAttachment": lambda c, ids: [a["VpcId"] for a in c("ec2").describe_internet_gateways(
        InternetGatewayIds=[ids["Igw2"]])["InternetGateways"][0]["Attachments"]] == [ids["Vpc"]],
    "AWS::EC2::RouteTable": lambda c, ids: c("ec2").describe_route_tables(RouteTableIds=[ids["RouteTable"]])["RouteTables"][0]["Tags"],
    "AWS::EC2::Route": lambda c, ids: [r.get("GatewayId") for r in c("ec2").describe_route_tables(RouteTableIds=[ids["RouteTable"]])["RouteTables"][0]["Routes"]
                                       if r.get("DestinationCidrBlock") == "0.0.0.0/0"] == [ids["Igw2"]],
    "AWS::EC2::NetworkAcl": lambda c, ids: c("ec2").describe_network_acls(NetworkAclIds=[ids["Acl"]])["NetworkAcls"][0]["Tags"],
    "AWS::EC2::NetworkAclEntry": lambda c, ids: [e["CidrBlock"] for e in c("ec2").describe_network_acls(NetworkAclIds=[ids["Acl"]])["NetworkAcls"][0]["Entries"]
                                                 if e["RuleNumber"] == 100],
    "AWS::EC2::SecurityGroup": lambda c, ids: [r["CidrIp"] for p in c("ec2").describe_security_groups(GroupIds=[ids["Sg"]])["SecurityGroups"][0]["IpPermissions"]
                                               for r in p["IpRanges"]],
    "AWS::EC2::SecurityGroupIngress": lambda c, ids: [r.get("Description") for p in c("ec2").describe_security_groups(
        GroupIds=[ids["Sg2"]])["SecurityGroups"][0]["IpPermissions"] for r in p["IpRanges"]],
    "AWS::EC2::SecurityGroupEgress": lambda c, ids: [r.get("Description") for p in c("ec2").describe_security_groups(
        GroupIds=[ids["Sg2"]])["SecurityGroups"][0]["IpPermissionsEgress"] for r in p["IpRanges"] if p.get("FromPort") == 5432],
    "AWS::EC2::EIP": lambda c, ids: c("ec2").describe_addresses(PublicIps=[ids["Eip"]])["Addresses"][0]["Tags"],
    "AWS::EC2::NatGateway": lambda c, ids: (c("ec2").describe_nat_gateways(NatGatewayIds=[ids["Nat"]])["NatGateways"][0]["Tags"], sorted(
        a["AvailabilityZone"] for a in c("ec2").describe_nat_gateways(NatGatewayIds=[ids["RegionalNat"]])["NatGateways"][0]["NatGatewayAddresses"])),
    "AWS::EC2::FlowLog": lambda c, ids: c("ec2").describe_flow_logs(FlowLogIds=[ids["FlowLog"]])["FlowLogs"][0]["Tags"],
    "AWS::EC2::VPCEndpoint": lambda c, ids: json.loads(c("ec2").describe_vpc_endpoints(VpcEndpointIds=[ids["S3Endpoint"]])["VpcEndpoints"][0][
        "PolicyDocument"])["Statement"][0]["Sid"],
    "AWS::EC2::LaunchTemplate": lambda c, ids: c("ec2").describe_launch_template_versions(LaunchTemplateId=ids["LaunchTemplate"], Versions=["$Default"])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]["InstanceType"],
    "AWS::AutoScaling::AutoScalingGroup": lambda c, ids: c("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[ids["Asg"]])[
        "AutoScalingGroups"][0]["MaxSize"],
    "AWS::AutoScaling::ScalingPolicy": lambda c, ids: c("autoscaling").describe_policies(AutoScalingGroupName=ids["Asg"])["ScalingPolicies"][0][
        "TargetTrackingConfiguration"]["TargetValue"],
    "AWS::ElasticLoadBalancingV2::LoadBalancer": lambda c, ids: {a["Key"]: a["Value"] for a in c("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=ids["Lb"])["Attributes"]}["idle_timeout.timeout_seconds"],
    "AWS::ElasticLoadBalancingV2::TargetGroup": lambda c, ids: c("elbv2").describe_target_groups(TargetGroupArns=[ids["Tg"]])["TargetGroups"][0]["HealthCheckPath"],
    "AWS::ElasticLoadBalancingV2::Listener": lambda c, ids: c("elbv2").describe_listeners(ListenerArns=[ids["Listener"]])["Listeners"][0]["Port"],
    "AWS::IAM::Role": lambda c, ids: c("iam").get_role(RoleName=ids["Role"])["Role"].get("Description"),
    "AWS::IAM::RolePolicy": lambda c, ids: c("iam").get_role_policy(RoleName=ids["Role"], PolicyName="inline")["PolicyDocument"]["Statement"][0]["Action"],
    "AWS::IAM::InstanceProfile": lambda c, ids: [r["RoleName"] for r in c("iam").get_instance_profile(InstanceProfileName=ids["Profile"])[
        "InstanceProfile"]["Roles"]] == [ids["Role2"]],
    "AWS::KMS::Key": lambda c, ids: c("kms").describe_key(KeyId=ids["Key"])["KeyMetadata"]["Description"],
    "AWS::KMS::Alias": lambda c, ids: [a["TargetKeyId"] for a in c("kms").list_aliases()["Aliases"] if a["AliasName"] == f"alias/inplace-{UID}"] == [ids["Key2"]],
    "AWS::Logs::LogGroup": lambda c, ids: c("logs").describe_log_groups(logGroupNamePrefix=f"/inplace/{UID}")["logGroups"][0]["retentionInDays"],
    "AWS::Logs::MetricFilter": lambda c, ids: c("logs").describe_metric_filters(logGroupName=f"/inplace/{UID}")["metricFilters"][0]["filterPattern"],
    "AWS::CloudWatch::Alarm": lambda c, ids: c("cloudwatch").describe_alarms(AlarmNames=[ids["Alarm"]])["MetricAlarms"][0]["Threshold"],
    "AWS::SNS::Topic": lambda c, ids: c("sns").get_topic_attributes(TopicArn=ids["Topic"])["Attributes"]["DisplayName"],
    "AWS::SNS::Subscription": lambda c, ids: c("sns").get_subscription_attributes(SubscriptionArn=ids["Subscription"])["Attributes"]["RawMessageDelivery"],
    "AWS::SNS::TopicPolicy": lambda c, ids: json.loads(c("sns").get_topic_attributes(TopicArn=ids["Topic"])["Attributes"]["Policy"])["Statement"][0]["Sid"],
    "AWS::S3::Bucket": lambda c, ids: c("s3").get_bucket_versioning(Bucket=ids["Bucket"])["Status"],
    "AWS::S3::BucketPolicy": lambda c, ids: json.loads(c("s3").get_bucket_policy(Bucket=ids["Bucket"])["Policy"])["Statement"][0]["Sid"],
    "AWS::CloudTrail::Trail": lambda c, ids: c("cloudtrail").get_trail(Name=ids["Trail"])["Trail"]["LogFileValidationEnabled"],
    "AWS::Config::ConfigurationRecorder": lambda c, ids: c("config").describe_configuration_recorders()["ConfigurationRecorders"][0][
        "recordingGroup"]["includeGlobalResourceTypes"],
    "AWS::Config::DeliveryChannel": lambda c, ids: c("config").describe_delivery_channels()["DeliveryChannels"][0][
        "configSnapshotDeliveryProperties"]["deliveryFrequency"],
    "AWS::Config::ConfigRule": lambda c, ids: c("config").describe_config_rules()["ConfigRules"][0]["Description"],
    "AWS::WAFv2::WebACL": lambda c, ids: c("wafv2").get_web_acl(Name=ids["WebAcl"].split("|")[0], Id=ids["WebAcl"].split("|")[1], Scope="REGIONAL")[
        "WebACL"]["Description"],
    "AWS::WAFv2::LoggingConfiguration": lambda c, ids: c("wafv2").list_logging_configurations(Scope="REGIONAL")["LoggingConfigurations"][0][
        "LogDestinationConfigs"][0].rstrip(":*").endswith(f"aws-waf-logs-inplace2-{UID}"),
    "AWS::RDS::DBSubnetGroup": lambda c, ids: c("rds").describe_db_subnet_groups(DBSubnetGroupName=ids["DbSubnets"])["DBSubnetGroups"][0][
        "DBSubnetGroupDescription"],
    "AWS::RDS::DBParameterGroup": lambda c, ids: {p["ParameterName"]: p.get("ParameterValue") for p in c("rds").describe_db_parameters(
        DBParameterGroupName=ids["DbParams"], Source="user")["Parameters"]}.get("max_connections"),
    "AWS::RDS::EventSubscription": lambda c, ids: c("rds").describe_event_subscriptions(SubscriptionName=ids["DbEvents"])["EventSubscriptionsList"][0]["Enabled"],
    "AWS::Lambda::Function": lambda c, ids: c("lambda").get_function_configuration(FunctionName=ids["Fn"])["Timeout"],
}

BEFORE: dict[str, Any] = {
    "AWS::EC2::VPC": False, "AWS::EC2::Subnet": False, "AWS::EC2::InternetGateway": _tags("one"), "AWS::EC2::VPCGatewayAttachment": False,
    "AWS::EC2::RouteTable": _tags("one"), "AWS::EC2::Route": False, "AWS::EC2::NetworkAcl": _tags("one"), "AWS::EC2::NetworkAclEntry": ["10.0.0.0/8"],
    "AWS::EC2::SecurityGroup": ["10.0.0.0/8"], "AWS::EC2::SecurityGroupIngress": ["a"], "AWS::EC2::SecurityGroupEgress": ["a"],
    "AWS::EC2::EIP": _tags("one"), "AWS::EC2::NatGateway": (_tags("one"), [f"{REGION}a"]), "AWS::EC2::FlowLog": _tags("one"),
    "AWS::EC2::VPCEndpoint": "a", "AWS::EC2::LaunchTemplate": "t4g.micro",
    "AWS::AutoScaling::AutoScalingGroup": 2, "AWS::AutoScaling::ScalingPolicy": 50.0, "AWS::ElasticLoadBalancingV2::LoadBalancer": "60",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "/a", "AWS::ElasticLoadBalancingV2::Listener": 80, "AWS::IAM::Role": "a",
    "AWS::IAM::RolePolicy": "s3:GetObject", "AWS::IAM::InstanceProfile": False, "AWS::KMS::Key": "a", "AWS::KMS::Alias": False,
    "AWS::Logs::LogGroup": 7, "AWS::Logs::MetricFilter": "ERROR", "AWS::CloudWatch::Alarm": 1.0, "AWS::SNS::Topic": "a",
    "AWS::SNS::Subscription": "false", "AWS::SNS::TopicPolicy": "a", "AWS::S3::Bucket": "Enabled", "AWS::S3::BucketPolicy": "a",
    "AWS::CloudTrail::Trail": False, "AWS::Config::ConfigurationRecorder": False, "AWS::Config::DeliveryChannel": "TwentyFour_Hours",
    "AWS::Config::ConfigRule": "a", "AWS::WAFv2::WebACL": "web one", "AWS::WAFv2::LoggingConfiguration": False, "AWS::RDS::DBSubnetGroup": "a",
    "AWS::RDS::DBParameterGroup": "100", "AWS::RDS::EventSubscription": True, "AWS::Lambda::Function": 3,
}
AFTER: dict[str, Any] = {
    **{t: (not v if isinstance(v, bool) else v) for t, v in BEFORE.items()},
    "AWS::EC2::InternetGateway": _tags("two"), "AWS::EC2::RouteTable": _tags("two"), "AWS::EC2::NetworkAcl": _tags("two"),
    "AWS::EC2::NetworkAclEntry": ["10.1.0.0/16"], "AWS::EC2::SecurityGroup": ["10.2.0.0/16"], "AWS::EC2::SecurityGroupIngress": ["b"],
    "AWS::EC2::SecurityGroupEgress": ["b"], "AWS::EC2::EIP": _tags("two"), "AWS::EC2::NatGateway": (_tags("two"), [f"{REGION}a", f"{REGION}b"]), "AWS::EC2::FlowLog": _tags("two"),
    "AWS::EC2::VPCEndpoint": "b", "AWS::EC2::LaunchTemplate": "t4g.small", "AWS::AutoScaling::AutoScalingGroup": 3, "AWS::AutoScaling::ScalingPolicy": 60.0,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "120", "AWS::ElasticLoadBalancingV2::TargetGroup": "/b", "AWS::ElasticLoadBalancingV2::Listener": 8080,
    "AWS::IAM::Role": "b", "AWS::IAM::RolePolicy": "s3:PutObject", "AWS::KMS::Key": "b", "AWS::Logs::LogGroup": 14, "AWS::Logs::MetricFilter": "FATAL",
    "AWS::CloudWatch::Alarm": 2.0, "AWS::SNS::Topic": "b", "AWS::SNS::Subscription": "true", "AWS::SNS::TopicPolicy": "b",
    "AWS::S3::Bucket": "Suspended", "AWS::S3::BucketPolicy": "b", "AWS::Config::DeliveryChannel": "Twelve_Hours", "AWS::Config::ConfigRule": "b",
    "AWS::WAFv2::WebACL": "web two", "AWS::RDS::DBSubnetGroup": "b", "AWS::RDS::DBParameterGroup": "200", "AWS::Lambda::Function": 5,
}


@functools.cache  # read once per run: every parametrized case asks (on libyaml: each worker reads them as it collects)
def template_types() -> dict[str, set[str]]:
    """Every resource type of the repository's templates (the SAM function as the types it becomes), with the
    properties the templates set on it."""
    used: dict[str, set[str]] = {}
    for path in [REPO / "template.yaml", *sorted(Path(p) for p in glob.glob(str(REPO / "nested" / "*.yaml")))]:
        for res in (yaml_parse(path.read_text()).get("Resources") or {}).values():
            kind = res["Type"]
            if kind == "AWS::Serverless::Function":
                used.setdefault("AWS::Lambda::Function", set()).update({"Code", "Handler", "Runtime", "Role", "Timeout", "MemorySize",
                                                                         "Environment", "VpcConfig", "LoggingConfig", "Architectures", "Tags"})
                used.setdefault("AWS::IAM::Role", set()).update({"AssumeRolePolicyDocument", "ManagedPolicyArns", "Policies", "Tags"})
            elif kind.startswith("AWS::"):
                used.setdefault(kind, set()).update((res.get("Properties") or {}).keys())
    return used


def test_every_type_of_the_templates_has_an_in_place_update_case_or_nothing_to_update():
    for kind, props in sorted(template_types().items()):
        if kind in CHECKS or kind in ELSEWHERE:
            continue
        assert not (updatable(kind) - {"Tags"}) or not (props & updatable(kind)), f"{kind}: add an in-place update case"


@pytest.mark.parametrize("kind", sorted(template_types()))
def test_the_provider_updates_in_place_every_property_the_templates_set_that_the_schema_lets_change(kind):
    used = template_types()[kind]
    missing = (used & updatable(kind)) - provider_for(kind).updates_in_place()
    assert not missing, f"{kind}: CloudFormation updates {sorted(missing)} in place; the local cloud's provider must too"


def test_each_case_changes_only_properties_the_schema_lets_change_in_place(slow_free_code):
    before, after = template(False, slow_free_code)["Resources"], template(True, slow_free_code)["Resources"]
    for logical_id, spec in after.items():
        old = before[logical_id].get("Properties", {})
        new = spec.get("Properties", {})
        diff = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
        assert not diff & create_only(spec["Type"]), f"{logical_id}: {sorted(diff & create_only(spec['Type']))} would replace it"


@pytest.fixture(scope="module")
def slow_free_code(moto_server) -> dict[str, str]:
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    return function_code(s3, f"code-inplace-{UID}", "exports.handler = async () => 'ok';\n", REGION)


@pytest.fixture(scope="module")
def updated(moto_server, slow_free_code) -> dict[str, Any]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)

    @functools.cache  # one client per service: the checks ask for one per resource, and each client costs a model's worth
    def client(service: str) -> Any:
        return session.client(service, endpoint_url=moto_server)

    cf, name = client("cloudformation"), f"inplace-{UID}"
    stack_id = cf.create_stack(StackName=name, TemplateBody=json.dumps(template(False, slow_free_code)), Capabilities=["CAPABILITY_IAM"])["StackId"]
    created = wait(cf, stack_id, timeout=300)
    assert created["StackStatus"] == "CREATE_COMPLETE", [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}" for e in cf.describe_stack_events(StackName=stack_id)[
        "StackEvents"] if "FAILED" in e["ResourceStatus"] and e.get("ResourceStatusReason") != "Resource creation cancelled"]
    ids_before = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cf.describe_stack_resources(StackName=stack_id)["StackResources"]}
    seen_before = {kind: check(client, ids_before) for kind, check in CHECKS.items()}
    cf.update_stack(StackName=stack_id, TemplateBody=json.dumps(template(True, slow_free_code)), Capabilities=["CAPABILITY_IAM"])
    done = wait(cf, stack_id, timeout=300)
    ids_after = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cf.describe_stack_resources(StackName=stack_id)["StackResources"]}
    failures = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}" for e in cf.describe_stack_events(StackName=stack_id)["StackEvents"]
                if "FAILED" in e["ResourceStatus"] and e.get("ResourceStatusReason") != "Resource creation cancelled"]
    seen_after = {kind: check(client, ids_after) for kind, check in CHECKS.items()} if done["StackStatus"] == "UPDATE_COMPLETE" else {}
    yield {"status": done["StackStatus"], "failures": failures, "before": ids_before, "after": ids_after,
           "seen_before": seen_before, "seen_after": seen_after, "types": {k: v["Type"] for k, v in template(True, slow_free_code)["Resources"].items()}}
    cf.delete_stack(StackName=stack_id)
    wait(cf, stack_id, timeout=300)


def test_the_update_completes_without_replacing_anything(updated):
    assert updated["status"] == "UPDATE_COMPLETE", updated["failures"]
    replaced = {k for k, v in updated["before"].items() if updated["after"].get(k) != v}
    assert not replaced


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_the_service_shows_the_new_value_after_the_in_place_update(updated, kind):
    assert updated["status"] == "UPDATE_COMPLETE", updated["failures"]
    assert updated["seen_before"][kind] == BEFORE[kind]
    assert updated["seen_after"][kind] == AFTER[kind]


def test_an_updatable_property_the_provider_cannot_apply_is_refused_by_name_and_its_twin_applies(aws, deploy):
    # NatGateway's SecondaryPrivateIpAddressCount is updatable on AWS; the local cloud's provider does not apply it.
    name = f"refuse-{uuid.uuid4().hex[:8]}"
    base = {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.91.0.0/16"}},
                          "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": _ref("Vpc"), "CidrBlock": "10.91.1.0/24"}},
                          "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
                          "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"AllocationId": _att("Eip", "AllocationId"),
                                                                                 "SubnetId": _ref("Subnet"), "Tags": _tags("one")}}}}
    assert deploy(name, base)["StackStatus"] == "CREATE_COMPLETE"
    refused = copy.deepcopy(base)
    refused["Resources"]["Nat"]["Properties"]["SecondaryPrivateIpAddressCount"] = 2
    stack = deploy(name, refused)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    cf = aws("cloudformation")
    reasons = [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName=name)["StackEvents"] if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert any(re.search(r"cannot update \['SecondaryPrivateIpAddressCount'\] of AWS::EC2::NatGateway in place", r) for r in reasons), reasons
    retagged = copy.deepcopy(base)
    retagged["Resources"]["Nat"]["Properties"]["Tags"] = _tags("two")
    assert deploy(name, retagged)["StackStatus"] == "UPDATE_COMPLETE"
