"""The deployed baseline the integration and lifecycle tests read (helpers; the fixtures are in conftest.py).

Target-agnostic: by default the tests build the project, start the local cloud and run
`sam deploy --config-env local` against it. With STRATA_INTEGRATION_TARGET=aws (an explicit opt-in) and
credentials in the standard AWS variables, they read a stack already deployed to that account instead
(STRATA_STACK_NAME, default strata-dev) and change nothing there.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

from strata_local_cloud.launch import LocalCloud
from strata_testing import REPO, sam_cli

SAMCONFIG = tomllib.loads((REPO / "samconfig.toml").read_text())
ACCOUNT_STACK = "strata-account"
# The Security Hub standards the account layer enables, and the account's controls as listed once for the
# templates and these tests: data/account-controls.yaml (the CIS metric filter patterns, the managed Config rules).
FSBP_STANDARD = "aws-foundational-security-best-practices/v/1.0.0"
CIS_STANDARD = "cis-aws-foundations-benchmark/v/3.0.0"
ACCOUNT_CONTROLS = yaml.safe_load((REPO / "data" / "account-controls.yaml").read_text())
CIS_PATTERNS = [f["pattern"] for f in ACCOUNT_CONTROLS["metricFilters"]]


def overrides(env: str, *extra: str, **named: str) -> str:
    """The config-env's parameter overrides plus `extra` (sam's --parameter-overrides replaces them, so repeat them)."""
    return " ".join([SAMCONFIG[env]["deploy"]["parameters"].get("parameter_overrides", ""), *extra,
                     *(f"{k}={v}" for k, v in named.items())]).strip()


def yaml(path: Path) -> dict[str, Any]:
    from samcli.yamlhelper import yaml_parse

    return yaml_parse(path.read_text())


@dataclass
class Baseline:
    client: Callable[[str], Any]
    stack: str
    outputs: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    layers: dict[str, str] = field(default_factory=dict)
    account: str = ACCOUNT_STACK

    @classmethod
    def read(cls, client: Callable[[str], Any], stack: str) -> Baseline:
        cf = client("cloudformation")
        root = cf.describe_stacks(StackName=stack)["Stacks"][0]
        layers = {r["LogicalResourceId"].removesuffix("Stack"): r["PhysicalResourceId"]
                  for r in cf.list_stack_resources(StackName=root["StackId"])["StackResourceSummaries"]
                  if r["ResourceType"] == "AWS::CloudFormation::Stack"}
        return cls(client=client, stack=stack, outputs={o["OutputKey"]: o["OutputValue"] for o in root.get("Outputs", [])},
                   params={p["ParameterKey"]: p.get("ParameterValue", "") for p in root["Parameters"]}, layers=layers)

    @property
    def config(self) -> dict[str, Any]:
        """The EnvironmentConfig mapping row of the environment this stack was deployed as."""
        return yaml(REPO / "template.yaml")["Mappings"]["EnvironmentConfig"][self.params["EnvironmentType"]]

    def resources(self, layer: str, resource_type: str | None = None) -> dict[str, str]:
        """Logical ID -> physical ID of one layer's resources (optionally of one type)."""
        items = self.client("cloudformation").list_stack_resources(StackName=self.layers[layer])["StackResourceSummaries"]
        return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in items if resource_type in (None, r["ResourceType"])}

    def account_resources(self, resource_type: str | None = None) -> dict[str, str]:
        """Logical ID -> physical ID of the account layer's resources in this region (optionally of one type)."""
        items = self.client("cloudformation").list_stack_resources(StackName=self.account)["StackResourceSummaries"]
        return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in items if resource_type in (None, r["ResourceType"])}

    @property
    def account_outputs(self) -> dict[str, str]:
        stack = self.client("cloudformation").describe_stacks(StackName=self.account)["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def layer_parameters(self, layer: str) -> dict[str, str]:
        stack = self.client("cloudformation").describe_stacks(StackName=self.layers[layer])["Stacks"][0]
        return {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack["Parameters"]}


def inventory(c: Callable[[str], Any]) -> dict[str, list[str]]:
    """What exists in one region of the local cloud, by kind: compared before and after an environment's life."""
    kms = c("kms")
    return {
        "buckets": sorted(b["Name"] for b in c("s3").list_buckets()["Buckets"]),
        "vpcs": sorted(v["VpcId"] for v in c("ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")),
        "addresses": sorted(a["AllocationId"] for a in c("ec2").describe_addresses()["Addresses"]),
        "nat gateways": sorted(n["NatGatewayId"] for n in c("ec2").describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"),
        "instances": sorted(i["InstanceId"] for r in c("ec2").describe_instances()["Reservations"] for i in r["Instances"]
                            if i["State"]["Name"] != "terminated"),
        "databases": sorted(d["DBInstanceIdentifier"] for d in c("rds").describe_db_instances()["DBInstances"]),
        "secrets": sorted(x["Name"] for x in c("secretsmanager").list_secrets()["SecretList"]),
        "roles": sorted(r["RoleName"] for r in c("iam").list_roles()["Roles"]),
        "log groups": sorted(g["logGroupName"] for g in c("logs").describe_log_groups()["logGroups"]),
        "alarms": sorted(a["AlarmName"] for a in c("cloudwatch").describe_alarms(MaxRecords=100)["MetricAlarms"]),
        "config rules": sorted(r["ConfigRuleName"] for r in c("config").describe_config_rules()["ConfigRules"]),
        "recorders": sorted(r["name"] for r in c("config").describe_configuration_recorders()["ConfigurationRecorders"]),
        "trails": sorted(t["Name"] for t in c("cloudtrail").describe_trails()["trailList"]),
        "topics": sorted(t["TopicArn"] for t in c("sns").list_topics()["Topics"]),
        "functions": sorted(f["FunctionName"] for f in c("lambda").list_functions()["Functions"]),
        "load balancers": sorted(lb["LoadBalancerName"] for lb in c("elbv2").describe_load_balancers()["LoadBalancers"]),
        "auto scaling groups": sorted(g["AutoScalingGroupName"] for g in c("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]),
        # as in AWS, a key is scheduled for deletion, never deleted at once
        "keys": sorted(k["KeyId"] for k in kms.list_keys()["Keys"]
                       if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"),
        "stacks": sorted(x["StackName"] for x in c("cloudformation").list_stacks()["StackSummaries"] if x["StackStatus"] != "DELETE_COMPLETE"),
    }


class Deployment:
    """A local cloud with the baseline deployed by `sam deploy --config-env <env>`, the same command as on AWS."""

    def __init__(self, log_name: str) -> None:
        (REPO / ".strata").mkdir(exist_ok=True)
        self.cloud = LocalCloud(log=REPO / ".strata" / f"local-cloud-{log_name}.log")
        self.env = self.cloud.env()
        self._sessions: dict[str, boto3.session.Session] = {}
        self._clients: dict[str, dict[str, Any]] = {}
        self.client = self.clients("us-east-1")
        self.client("s3").create_bucket(Bucket="strata-local-artifacts")
        # what the region held before an environment was deployed on its account layer (set by the fixture that deploys)
        self.before: dict[str, list[str]] = {}

    def session(self, region: str) -> boto3.session.Session:
        """One session per region: a new one would load every service model it makes a client of again."""
        if region not in self._sessions:
            self._sessions[region] = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
        return self._sessions[region]

    def clients(self, region: str) -> Callable[[str], Any]:
        """boto3 clients for this local cloud in one region, by service name: one per service, made on first use (the
        tests only read through them, from one thread each, and each new client cost 10-20 ms of CPU)."""
        session = self.session(region)
        made = self._clients.setdefault(region, {})

        def client(service: str) -> Any:
            if service not in made:
                made[service] = session.client(service, endpoint_url=self.cloud.url)
            return made[service]

        return client

    def failures(self, args: tuple[str, ...]) -> list[str]:
        """What failed first, for a failed sam command: each stack's FAILED events in this region, oldest first (the
        captured output ends with the rollback, not its cause)."""
        region = args[args.index("--region") + 1] if "--region" in args else "us-east-1"
        cf = self.clients(region)("cloudformation")
        found = []
        for summary in cf.list_stacks()["StackSummaries"]:
            if "FAILED" in summary["StackStatus"] or "ROLLBACK" in summary["StackStatus"]:
                events = cf.describe_stack_events(StackName=summary["StackId"])["StackEvents"]
                found += [f"{summary['StackName']}/{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
                          for e in reversed(events) if e["ResourceStatus"].endswith("_FAILED")]
        return found

    def sam(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        # `sam deploy` takes --no-progressbar (no progress bar in captured output); `sam delete` has no such option.
        # The SAM CLI itself, polling this local cloud at SAM_CLI_POLL_DELAY in sam delete too (strata_local_cloud/sam.py).
        quiet = ["--no-progressbar"] if args[:1] == ("deploy",) else []
        result = subprocess.run(sam_cli(*args, *quiet), cwd=REPO, env=self.env,
                                capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"sam {' '.join(args)} failed: {self.failures(args)}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result

    def deploy_account(self, region: str = "us-east-1", bucket: str = "strata-local-artifacts", *extra: str,
                       check: bool = True) -> subprocess.CompletedProcess[str]:
        """The account layer in one region (`sam deploy --config-env account-local`), as npm start deploys it before the
        environment: its Guard rules uploaded to the region's artifacts bucket first (`sam build --config-env
        account-local` must have run: the account_build fixture)."""
        self.clients(region)("s3").upload_file(str(REPO / "account" / "guard" / "strata.guard"), bucket, "strata-account/guard/strata.guard")
        rules = f"GuardRulesUri=s3://{bucket}/strata-account/guard/strata.guard"
        return self.sam("deploy", "--config-env", "account-local", "--region", region, "--s3-bucket", bucket,
                        "--parameter-overrides", overrides("account-local", rules, *extra), check=check)

    def delete_account(self, region: str = "us-east-1", bucket: str = "strata-local-artifacts") -> None:
        self.sam("delete", "--config-env", "account-local", "--region", region, "--s3-bucket", bucket, "--no-prompts")

    def stop(self) -> None:
        self.cloud.stop()


def check_nat_gateways(baseline: Baseline, mode: str) -> list[str]:
    """The egress layer's NAT gateways as EC2 reports them for a NatGatewayMode, and the app tier's default routes
    through them: one zonal gateway shared (single), one per zone in its public subnet (per-az), or one regional gateway
    at the VPC with an address in each zone (regional). Every NAT address is admitted to the load balancer on 443 (the
    TLS verifier's path). Returns the gateways' public addresses."""
    ec2 = baseline.client("ec2")
    vpc = baseline.outputs["VpcId"]
    ids = baseline.resources("Egress", "AWS::EC2::NatGateway").values()
    gateways = ec2.describe_nat_gateways(NatGatewayIds=list(ids))["NatGateways"]
    zones = baseline.outputs["AvailabilityZones"].split(",")
    assert {g["State"] for g in gateways} == {"available"} and {g["VpcId"] for g in gateways} == {vpc}
    if mode == "regional":
        [gateway] = gateways
        assert gateway["AvailabilityMode"] == "regional" and not gateway.get("SubnetId")
        assert sorted(a["AvailabilityZone"] for a in gateway["NatGatewayAddresses"]) == sorted(zones)
    else:
        assert len(gateways) == (len(zones) if mode == "per-az" else 1)
        assert all(g.get("AvailabilityMode", "zonal") == "zonal" and g["SubnetId"] for g in gateways)
    addresses = [a["PublicIp"] for g in gateways for a in g["NatGatewayAddresses"]]
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": baseline.outputs["AppSubnetIds"].split(",")}])
    targets = [r.get("NatGatewayId") for t in tables["RouteTables"] for r in t["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert sorted(targets) == sorted([g["NatGatewayId"] for g in gateways] if mode == "per-az" else [gateways[0]["NatGatewayId"]] * len(zones))
    alb_group = baseline.resources("Network", "AWS::EC2::SecurityGroup")["AlbSecurityGroup"]
    [group] = ec2.describe_security_groups(GroupIds=[alb_group])["SecurityGroups"]
    admitted = {r["CidrIp"] for p in group["IpPermissions"] if p.get("FromPort") == 443 for r in p.get("IpRanges", [])}
    assert {f"{a}/32" for a in addresses} <= admitted, (addresses, admitted)
    return addresses


INTERFACE_ENDPOINT_SERVICES = {"ssm", "ssmmessages", "ec2messages", "logs", "secretsmanager", "rds", "acm"}


def check_vpc_endpoints(baseline: Baseline) -> None:
    """The egress layer's VPC endpoints as EC2 reports them: the S3 gateway endpoint on the app and data route
    tables with its policy (this account's buckets, the AL2023 repositories, CloudFormation's response buckets),
    and the interface endpoints where EnvironmentConfig.InterfaceEndpoints is on (private DNS, the app subnets, the
    endpoint group admitting 443 from the app and verifier groups only)."""
    ec2 = baseline.client("ec2")
    region = ec2.meta.region_name
    account = baseline.client("sts").get_caller_identity()["Account"]
    vpc = baseline.outputs["VpcId"]
    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]
    [gateway] = [e for e in found if e["VpcEndpointType"] == "Gateway"]
    assert gateway["ServiceName"] == f"com.amazonaws.{region}.s3"
    subnets = [s for s in baseline.outputs["AppSubnetIds"].split(",") + baseline.outputs["DataSubnetIds"].split(",") if s]
    tables = {t["RouteTableId"] for t in ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": subnets}])["RouteTables"]}
    assert set(gateway["RouteTableIds"]) == tables
    statements = {st["Sid"]: st for st in json.loads(gateway["PolicyDocument"])["Statement"]}
    assert set(statements) == {"ThisAccountsBuckets", "AmazonLinuxRepositories", "SsmAgentBuckets", "CloudFormationResponses"}
    assert f"arn:aws:s3:::{region}-birdwatcher-prod/*" in statements["SsmAgentBuckets"]["Resource"]
    assert statements["ThisAccountsBuckets"]["Condition"] == {"StringEquals": {"aws:ResourceAccount": account}}
    assert statements["AmazonLinuxRepositories"]["Resource"] == f"arn:aws:s3:::al2023-repos-{region}-de612dc2/*"
    assert f"arn:aws:s3:::cloudformation-custom-resource-response-{region.replace('-', '')}/*" in statements["CloudFormationResponses"]["Resource"]

    interfaces = [e for e in found if e["VpcEndpointType"] == "Interface"]
    if baseline.config["InterfaceEndpoints"] != "true":
        assert interfaces == []
        return
    assert {e["ServiceName"].removeprefix(f"com.amazonaws.{region}.") for e in interfaces} == INTERFACE_ENDPOINT_SERVICES
    app_subnets = set(baseline.outputs["AppSubnetIds"].split(","))
    groups = {g["GroupId"] for e in interfaces for g in e["Groups"]}
    assert len(groups) == 1
    for e in interfaces:
        assert e["PrivateDnsEnabled"] is True and set(e["SubnetIds"]) == app_subnets, e["ServiceName"]
    [group] = ec2.describe_security_groups(GroupIds=list(groups))["SecurityGroups"]
    sources = {(p["FromPort"], pair["GroupId"]) for p in group["IpPermissions"] for pair in p.get("UserIdGroupPairs", [])}
    verifier = baseline.resources("Verifier", "AWS::EC2::SecurityGroup")["VerifierSecurityGroup"]
    app = baseline.resources("Network", "AWS::EC2::SecurityGroup")["AppSecurityGroup"]
    assert sources == {(443, app), (443, verifier)}
    assert all(not p.get("IpRanges") for p in group["IpPermissions"])
