"""Strata project policy rules for cfn-lint (loaded with `cfn-lint --append-rules policies/cfn-lint`).

checkov has no CloudFormation check for these controls of the security baseline. Each rule looks at the
whole template, so it can follow references between resources (a VPC and its flow log, a subnet and its
route table). Values that depend on the environment (a parameter, an Fn::If) are accepted where the
environment decides; tests/templates asserts the value each environment resolves to.

Every rule has a passing and a failing fixture under tests/policies/fixtures/<rule id>/.
"""

from __future__ import annotations

from typing import Any, Iterator

from cfnlint.rules import CloudFormationLintRule, RuleMatch

SECURE_TRANSPORT_ON = {"1", "ON", "on", "true", "TRUE"}
WEAK_TLS = {"TLSv1", "TLSv1.1"}


def _resources(cfn: Any, *types: str) -> Iterator[tuple[str, dict]]:
    for logical_id, resource in (cfn.template.get("Resources") or {}).items():
        if isinstance(resource, dict) and resource.get("Type") in types:
            yield logical_id, resource


def _props(resource: dict) -> dict:
    props = resource.get("Properties")
    return props if isinstance(props, dict) else {}


def _branches(value: Any) -> list[Any]:
    """The values an Fn::If can take (recursively); any other value is its own only branch."""
    if isinstance(value, dict) and list(value.keys()) == ["Fn::If"]:
        args = value["Fn::If"]
        if isinstance(args, list) and len(args) == 3:
            return _branches(args[1]) + _branches(args[2])
    return [value]


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("Ref", "Fn::If", "Fn::FindInMap", "Fn::Select")


def _ref_target(value: Any) -> str | None:
    if isinstance(value, dict) and list(value.keys()) == ["Ref"]:
        return str(value["Ref"])
    return None


def _getatt(value: Any) -> tuple[str, str] | None:
    if isinstance(value, dict) and list(value.keys()) == ["Fn::GetAtt"]:
        arg = value["Fn::GetAtt"]
        parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
        if len(parts) == 2:
            return str(parts[0]), str(parts[1])
    return None


def _tag(resource: dict, key: str) -> Any:
    tags = _props(resource).get("Tags")
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, dict) and tag.get("Key") == key:
                return tag.get("Value")
    return None


class RdsDeletionProtection(CloudFormationLintRule):
    id = "E9001"
    shortdesc = "RDS deletion protection is set"
    description = "Every RDS instance or cluster sets DeletionProtection (true, or a parameter the environment decides); never omitted, never the literal false."
    source_url = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeletionProtection"
    tags = ["strata", "rds"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in _resources(cfn, "AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
            value = _props(resource).get("DeletionProtection")
            if value is None:
                matches.append(RuleMatch(["Resources", logical_id, "Properties"], f"{logical_id}: set DeletionProtection (true, or a parameter that is true in staging and prod)"))
            elif value is False or str(value).lower() == "false":
                matches.append(RuleMatch(["Resources", logical_id, "Properties", "DeletionProtection"], f"{logical_id}: DeletionProtection is hard-coded false; make it true or a per-environment parameter"))
        return matches


class RdsLogExports(CloudFormationLintRule):
    id = "E9002"
    shortdesc = "RDS MySQL exports its error and slow query logs"
    description = "Every RDS MySQL/MariaDB instance exports at least the error and slowquery logs to CloudWatch Logs, in every Fn::If branch."
    source_url = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html"
    tags = ["strata", "rds", "logging"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in _resources(cfn, "AWS::RDS::DBInstance"):
            props = _props(resource)
            engine = props.get("Engine")
            if isinstance(engine, str) and engine not in ("mysql", "mariadb"):
                continue
            exports = props.get("EnableCloudwatchLogsExports")
            for branch in _branches(exports):
                present = set(branch) if isinstance(branch, list) else set()
                missing = sorted({"error", "slowquery"} - present)
                if missing:
                    matches.append(RuleMatch(["Resources", logical_id, "Properties", "EnableCloudwatchLogsExports"], f"{logical_id}: EnableCloudwatchLogsExports lacks {', '.join(missing)}; export error and slowquery"))
                    break
        return matches


class VpcFlowLogs(CloudFormationLintRule):
    id = "E9003"
    shortdesc = "Every VPC has flow logs for ALL traffic"
    description = "Each AWS::EC2::VPC has an AWS::EC2::FlowLog in the same template with ResourceId referencing it and TrafficType ALL."
    source_url = "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html"
    tags = ["strata", "vpc", "logging"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        logged = {
            _ref_target(_props(r).get("ResourceId"))
            for _, r in _resources(cfn, "AWS::EC2::FlowLog")
            if _props(r).get("TrafficType") == "ALL"
        }
        return [
            RuleMatch(["Resources", logical_id], f"{logical_id}: add an AWS::EC2::FlowLog with ResourceId !Ref {logical_id} and TrafficType ALL")
            for logical_id, _ in _resources(cfn, "AWS::EC2::VPC")
            if logical_id not in logged
        ]


class DefaultSecurityGroupClosed(CloudFormationLintRule):
    id = "E9004"
    shortdesc = "The VPC's default security group is emptied and never opened"
    description = "Each VPC has a Custom::DefaultSecurityGroupLockdown given its DefaultSecurityGroup (CIS 5.4), and no rule resource adds to that group."
    source_url = "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-2"
    tags = ["strata", "vpc", "security-group"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        locked = set()
        for _, resource in _resources(cfn, "Custom::DefaultSecurityGroupLockdown"):
            for value in _props(resource).values():
                target = _getatt(value)
                if target and target[1] == "DefaultSecurityGroup":
                    locked.add(target[0])
        for logical_id, _ in _resources(cfn, "AWS::EC2::VPC"):
            if logical_id not in locked:
                matches.append(RuleMatch(["Resources", logical_id], f"{logical_id}: add a Custom::DefaultSecurityGroupLockdown with GroupId !GetAtt {logical_id}.DefaultSecurityGroup"))
        for logical_id, resource in _resources(cfn, "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            target = _getatt(_props(resource).get("GroupId"))
            if target and target[1] == "DefaultSecurityGroup":
                matches.append(RuleMatch(["Resources", logical_id, "Properties", "GroupId"], f"{logical_id}: adds a rule to the default security group; use a dedicated group"))
        return matches


class HttpRedirectsToHttps(CloudFormationLintRule):
    id = "E9005"
    shortdesc = "HTTP listeners redirect to HTTPS whenever HTTPS exists"
    description = "An ALB HTTP listener's default action redirects to HTTPS, or is an Fn::If whose true branch redirects under the same condition that creates the HTTPS listener of that load balancer."
    source_url = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#redirect-actions"
    tags = ["strata", "elb", "tls"]

    @staticmethod
    def _redirects(action: Any) -> bool:
        return (
            isinstance(action, dict)
            and action.get("Type") == "redirect"
            and isinstance(action.get("RedirectConfig"), dict)
            and action["RedirectConfig"].get("Protocol") == "HTTPS"
        )

    def match(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        listeners = list(_resources(cfn, "AWS::ElasticLoadBalancingV2::Listener"))
        https_conditions: dict[str, set[str | None]] = {}
        for _, resource in listeners:
            props = _props(resource)
            if props.get("Protocol") == "HTTPS":
                lb = str(_ref_target(props.get("LoadBalancerArn")))
                https_conditions.setdefault(lb, set()).add(resource.get("Condition"))
        for logical_id, resource in listeners:
            props = _props(resource)
            if props.get("Protocol") != "HTTP":
                continue
            lb = str(_ref_target(props.get("LoadBalancerArn")))
            actions = props.get("DefaultActions")
            first = actions[0] if isinstance(actions, list) and actions else None
            if self._redirects(first):
                continue
            if isinstance(first, dict) and list(first.keys()) == ["Fn::If"]:
                condition, when_true, _ = first["Fn::If"]
                if self._redirects(when_true) and condition in https_conditions.get(lb, set()):
                    continue
            matches.append(RuleMatch(["Resources", logical_id, "Properties", "DefaultActions"], f"{logical_id}: the HTTP listener must redirect to HTTPS (HTTP_301) whenever the load balancer has an HTTPS listener"))
        return matches


class RequireSecureTransport(CloudFormationLintRule):
    id = "E9006"
    shortdesc = "MySQL parameter groups require TLS 1.2+"
    description = "A MySQL/MariaDB DB parameter group sets require_secure_transport to 1 and, where tls_version is set, allows no TLS version below 1.2."
    source_url = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.html"
    tags = ["strata", "rds", "tls"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in _resources(cfn, "AWS::RDS::DBParameterGroup", "AWS::RDS::DBClusterParameterGroup"):
            props = _props(resource)
            family = props.get("Family")
            if isinstance(family, str) and not family.startswith(("mysql", "aurora-mysql", "mariadb")):
                continue
            parameters = props.get("Parameters") if isinstance(props.get("Parameters"), dict) else {}
            value = parameters.get("require_secure_transport")
            if str(value) not in SECURE_TRANSPORT_ON:
                matches.append(RuleMatch(["Resources", logical_id, "Properties", "Parameters"], f"{logical_id}: set require_secure_transport to '1' so plaintext connections are refused"))
            tls = parameters.get("tls_version")
            if isinstance(tls, str) and WEAK_TLS & {v.strip() for v in tls.split(",")}:
                matches.append(RuleMatch(["Resources", logical_id, "Properties", "Parameters", "tls_version"], f"{logical_id}: tls_version allows TLS below 1.2; use 'TLSv1.2,TLSv1.3'"))
        return matches


class ImdsV2HopLimit(CloudFormationLintRule):
    id = "E9007"
    shortdesc = "Launch templates require IMDSv2 with hop limit 1"
    description = "Every launch template sets MetadataOptions HttpTokens required and HttpPutResponseHopLimit 1, so containers or proxies on the host cannot reach the instance credentials."
    source_url = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html"
    tags = ["strata", "ec2", "imds"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in _resources(cfn, "AWS::EC2::LaunchTemplate"):
            data = _props(resource).get("LaunchTemplateData")
            options = data.get("MetadataOptions") if isinstance(data, dict) else None
            options = options if isinstance(options, dict) else {}
            if options.get("HttpTokens") != "required":
                matches.append(RuleMatch(["Resources", logical_id, "Properties", "LaunchTemplateData"], f"{logical_id}: set MetadataOptions.HttpTokens to required (IMDSv2 only)"))
            if str(options.get("HttpPutResponseHopLimit")) != "1":
                matches.append(RuleMatch(["Resources", logical_id, "Properties", "LaunchTemplateData"], f"{logical_id}: set MetadataOptions.HttpPutResponseHopLimit to 1"))
        return matches


class IsolatedDataSubnets(CloudFormationLintRule):
    id = "E9008"
    shortdesc = "Data subnets have no route to the internet"
    description = "Subnets tagged Tier=data, or listed in a DB subnet group, are explicitly associated with route tables that have no route through an internet gateway, NAT gateway, transit gateway or instance."
    source_url = "https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html"
    tags = ["strata", "vpc", "rds"]

    EGRESS_TARGETS = ("GatewayId", "NatGatewayId", "TransitGatewayId", "InstanceId", "NetworkInterfaceId", "EgressOnlyInternetGatewayId", "CarrierGatewayId")

    def match(self, cfn: Any) -> list[RuleMatch]:
        data_subnets = {logical_id for logical_id, r in _resources(cfn, "AWS::EC2::Subnet") if _tag(r, "Tier") == "data"}
        for _, group in _resources(cfn, "AWS::RDS::DBSubnetGroup"):
            ids = _props(group).get("SubnetIds")
            for item in ids if isinstance(ids, list) else []:
                if _ref_target(item):
                    data_subnets.add(_ref_target(item))
        tables: dict[str, str] = {}
        for _, assoc in _resources(cfn, "AWS::EC2::SubnetRouteTableAssociation"):
            subnet, table = _ref_target(_props(assoc).get("SubnetId")), _ref_target(_props(assoc).get("RouteTableId"))
            if subnet and table:
                tables[subnet] = table
        leaky: dict[str, str] = {}
        for route_id, route in _resources(cfn, "AWS::EC2::Route"):
            table = _ref_target(_props(route).get("RouteTableId"))
            if table and any(key in _props(route) for key in self.EGRESS_TARGETS):
                leaky.setdefault(table, route_id)
        matches = []
        for subnet in sorted(s for s in data_subnets if s):
            table = tables.get(subnet)
            if table is None:
                matches.append(RuleMatch(["Resources", subnet], f"{subnet}: associate this data subnet with an isolated route table (the main route table is not under this template's control)"))
            elif table in leaky:
                matches.append(RuleMatch(["Resources", leaky[table]], f"{subnet}: its route table {table} routes to the internet through {leaky[table]}; data subnets must stay isolated"))
        return matches
