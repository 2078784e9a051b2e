"""EC2 networking and launch templates."""

from __future__ import annotations

import json
from typing import Any

from ..errors import ResourceFailure
from . import Provider, Provision, as_bool, as_int, changed, compact, dropped_tags, register


def _tag(p: Provision, resource_id: str, tags: list[dict[str, str]] | None) -> None:
    merged = p.tags(tags)
    if merged:
        p.client("ec2").create_tags(Resources=[resource_id], Tags=merged)


def _retag(p: Provision, resource_id: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    stale = dropped_tags(old, new)
    if stale:
        p.client("ec2").delete_tags(Resources=[resource_id], Tags=[{"Key": k} for k in stale])
    _tag(p, resource_id, new.get("Tags"))


def _spec(kind: str, p: Provision, tags: list[dict[str, str]] | None) -> list[dict[str, Any]]:
    merged = p.tags(tags)
    return [{"ResourceType": kind, "Tags": merged}] if merged else []


class _Simple(Provider):
    """Types whose in-place update re-tags (and, for some, modifies attributes: _attributes)."""

    in_place = frozenset({"Tags"})

    def update(self, p: Provision, physical: str, old: dict[str, Any], new: dict[str, Any], attrs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self._attributes(p, physical, changed(old, new) - {"Tags"}, new)
        if "Tags" in changed(old, new):
            _retag(p, physical, old, new)
        return physical, attrs

    def _attributes(self, p: Provision, physical: str, diff: set[str], new: dict[str, Any]) -> None:
        return None



@register
class Vpc(_Simple):
    type = "AWS::EC2::VPC"
    in_place = frozenset({"Tags", "EnableDnsSupport", "EnableDnsHostnames"})

    def _attributes(self, p, physical, diff, new):
        # ModifyVpcAttribute takes one attribute per call; a property left out of the template goes back to its default.
        for key, default in (("EnableDnsSupport", True), ("EnableDnsHostnames", False)):
            if key in diff:
                p.client("ec2").modify_vpc_attribute(VpcId=physical, **{key: {"Value": as_bool(new.get(key, default))}})

    def create(self, p, logical_id, props):
        ec2 = p.client("ec2")
        vpc = ec2.create_vpc(CidrBlock=props["CidrBlock"], TagSpecifications=_spec("vpc", p, props.get("Tags")))["Vpc"]
        vpc_id = vpc["VpcId"]
        p.created(vpc_id)
        for key, attr in (("EnableDnsSupport", "EnableDnsSupport"), ("EnableDnsHostnames", "EnableDnsHostnames")):
            if key in props:
                ec2.modify_vpc_attribute(VpcId=vpc_id, **{attr: {"Value": as_bool(props[key])}})
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}])
        acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}])
        return vpc_id, {"VpcId": vpc_id, "CidrBlock": vpc["CidrBlock"], "CidrBlockAssociations": [a["AssociationId"] for a in vpc.get("CidrBlockAssociationSet", [])],
                        "DefaultSecurityGroup": groups["SecurityGroups"][0]["GroupId"], "DefaultNetworkAcl": acls["NetworkAcls"][0]["NetworkAclId"]}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_vpc(VpcId=physical)


@register
class Subnet(_Simple):
    type = "AWS::EC2::Subnet"
    in_place = frozenset({"Tags", "MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation", "EnableDns64"})

    def _attributes(self, p, physical, diff, new):
        for key in sorted(diff):
            p.client("ec2").modify_subnet_attribute(SubnetId=physical, **{key: {"Value": as_bool(new.get(key, False))}})

    def create(self, p, logical_id, props):
        ec2 = p.client("ec2")
        subnet = ec2.create_subnet(**compact({"VpcId": props["VpcId"], "CidrBlock": props["CidrBlock"], "AvailabilityZone": props.get("AvailabilityZone"),
                                               "TagSpecifications": _spec("subnet", p, props.get("Tags"))}))["Subnet"]
        p.created(subnet["SubnetId"])
        if as_bool(props.get("MapPublicIpOnLaunch", False)):
            ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
        return subnet["SubnetId"], {"SubnetId": subnet["SubnetId"], "AvailabilityZone": subnet["AvailabilityZone"],
                                    "AvailabilityZoneId": subnet.get("AvailabilityZoneId", ""), "VpcId": subnet["VpcId"], "CidrBlock": subnet["CidrBlock"]}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_subnet(SubnetId=physical)


@register
class InternetGateway(_Simple):
    type = "AWS::EC2::InternetGateway"

    def create(self, p, logical_id, props):
        igw = p.client("ec2").create_internet_gateway(TagSpecifications=_spec("internet-gateway", p, props.get("Tags")))["InternetGateway"]
        return igw["InternetGatewayId"], {"InternetGatewayId": igw["InternetGatewayId"]}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_internet_gateway(InternetGatewayId=physical)


@register
class GatewayAttachment(Provider):
    type = "AWS::EC2::VPCGatewayAttachment"
    in_place = frozenset({"InternetGatewayId"})

    def update(self, p, physical, old, new, attrs):
        # Another internet gateway for the same VPC: detach the old one, attach the new one.
        ec2 = p.client("ec2")
        ec2.detach_internet_gateway(InternetGatewayId=old["InternetGatewayId"], VpcId=old["VpcId"])
        ec2.attach_internet_gateway(InternetGatewayId=new["InternetGatewayId"], VpcId=new["VpcId"])
        return physical, attrs

    def create(self, p, logical_id, props):
        if "InternetGatewayId" not in props:
            raise ResourceFailure("only InternetGatewayId attachments are supported by the local cloud")
        p.client("ec2").attach_internet_gateway(InternetGatewayId=props["InternetGatewayId"], VpcId=props["VpcId"])
        return f"IGW|{props['VpcId']}", {}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").detach_internet_gateway(InternetGatewayId=props["InternetGatewayId"], VpcId=props["VpcId"])


@register
class RouteTable(_Simple):
    type = "AWS::EC2::RouteTable"

    def create(self, p, logical_id, props):
        rt = p.client("ec2").create_route_table(VpcId=props["VpcId"], TagSpecifications=_spec("route-table", p, props.get("Tags")))["RouteTable"]
        return rt["RouteTableId"], {"RouteTableId": rt["RouteTableId"]}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_route_table(RouteTableId=physical)


_TARGETS = ("GatewayId", "NatGatewayId", "TransitGatewayId", "VpcEndpointId", "VpcPeeringConnectionId", "NetworkInterfaceId", "EgressOnlyInternetGatewayId")


@register
class Route(Provider):
    type = "AWS::EC2::Route"
    in_place = frozenset(_TARGETS)

    def _args(self, props):
        return compact({"RouteTableId": props["RouteTableId"], "DestinationCidrBlock": props.get("DestinationCidrBlock"),
                        **{k: props.get(k) for k in _TARGETS}})

    def create(self, p, logical_id, props):
        p.client("ec2").create_route(**self._args(props))
        return f"{props['RouteTableId']}|{props.get('DestinationCidrBlock')}", {}

    def update(self, p, physical, old, new, attrs):
        p.client("ec2").replace_route(**self._args(new))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_route(RouteTableId=props["RouteTableId"], DestinationCidrBlock=props["DestinationCidrBlock"])


@register
class RouteAssociation(Provider):
    type = "AWS::EC2::SubnetRouteTableAssociation"

    def create(self, p, logical_id, props):
        assoc = p.client("ec2").associate_route_table(RouteTableId=props["RouteTableId"], SubnetId=props["SubnetId"])
        return assoc["AssociationId"], {"Id": assoc["AssociationId"]}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").disassociate_route_table(AssociationId=physical)


@register
class NetworkAcl(_Simple):
    type = "AWS::EC2::NetworkAcl"

    def create(self, p, logical_id, props):
        acl = p.client("ec2").create_network_acl(VpcId=props["VpcId"], TagSpecifications=_spec("network-acl", p, props.get("Tags")))["NetworkAcl"]
        return acl["NetworkAclId"], {"Id": acl["NetworkAclId"]}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_network_acl(NetworkAclId=physical)


@register
class NetworkAclEntry(Provider):
    type = "AWS::EC2::NetworkAclEntry"
    in_place = frozenset({"CidrBlock", "Ipv6CidrBlock", "PortRange", "Protocol", "RuleAction", "Icmp"})

    def _args(self, props):
        port = props.get("PortRange")
        return compact({"NetworkAclId": props["NetworkAclId"], "RuleNumber": int(props["RuleNumber"]), "Protocol": str(props["Protocol"]),
                        "RuleAction": props["RuleAction"], "Egress": as_bool(props.get("Egress", False)), "CidrBlock": props.get("CidrBlock"),
                        "Ipv6CidrBlock": props.get("Ipv6CidrBlock"),
                        "PortRange": {"From": int(port["From"]), "To": int(port["To"])} if port else None,
                        "IcmpTypeCode": props.get("Icmp")})

    def create(self, p, logical_id, props):
        p.client("ec2").create_network_acl_entry(**self._args(props))
        return f"{props['NetworkAclId']}|{props['RuleNumber']}|{as_bool(props.get('Egress', False))}", {}

    def update(self, p, physical, old, new, attrs):
        p.client("ec2").replace_network_acl_entry(**self._args(new))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_network_acl_entry(NetworkAclId=props["NetworkAclId"], RuleNumber=int(props["RuleNumber"]),
                                                 Egress=as_bool(props.get("Egress", False)))


@register
class NetworkAclAssociation(Provider):
    type = "AWS::EC2::SubnetNetworkAclAssociation"

    def _current(self, ec2, subnet_id):
        acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["NetworkAcls"]
        for acl in acls:
            for assoc in acl.get("Associations", []):
                if assoc["SubnetId"] == subnet_id:
                    return assoc["NetworkAclAssociationId"], acl["VpcId"]
        raise ResourceFailure(f"subnet {subnet_id} has no network ACL association")

    def create(self, p, logical_id, props):
        ec2 = p.client("ec2")
        current, _vpc = self._current(ec2, props["SubnetId"])
        new = ec2.replace_network_acl_association(AssociationId=current, NetworkAclId=props["NetworkAclId"])["NewAssociationId"]
        return new, {"AssociationId": new}

    def delete(self, p, physical, props, attrs):
        # As in AWS: the subnet goes back to its VPC's default network ACL.
        ec2 = p.client("ec2")
        current, vpc_id = self._current(ec2, props["SubnetId"])
        default = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
        if default:
            ec2.replace_network_acl_association(AssociationId=current, NetworkAclId=default[0]["NetworkAclId"])


def _permission(rule: dict[str, Any], egress: bool) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": str(rule["IpProtocol"])}
    if "FromPort" in rule:
        perm["FromPort"] = int(rule["FromPort"])
    if "ToPort" in rule:
        perm["ToPort"] = int(rule["ToPort"])
    desc = compact({"Description": rule.get("Description")})
    if rule.get("CidrIp"):
        perm["IpRanges"] = [{"CidrIp": rule["CidrIp"], **desc}]
    if rule.get("CidrIpv6"):
        perm["Ipv6Ranges"] = [{"CidrIpv6": rule["CidrIpv6"], **desc}]
    peer = rule.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId")
    if peer:
        perm["UserIdGroupPairs"] = [{"GroupId": peer, **desc}]
    prefix = rule.get("DestinationPrefixListId" if egress else "SourcePrefixListId")
    if prefix:
        perm["PrefixListIds"] = [{"PrefixListId": prefix, **desc}]
    return perm


_ALL_EGRESS = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@register
class SecurityGroup(Provider):
    type = "AWS::EC2::SecurityGroup"
    in_place = frozenset({"SecurityGroupIngress", "SecurityGroupEgress", "Tags"})

    def create(self, p, logical_id, props):
        ec2 = p.client("ec2")
        group_id = ec2.create_security_group(**compact({
            "GroupName": props.get("GroupName") or p.name(255), "Description": props["GroupDescription"], "VpcId": props.get("VpcId"),
            "TagSpecifications": _spec("security-group", p, props.get("Tags"))}))["GroupId"]
        p.created(group_id)
        self._apply(ec2, group_id, [], props.get("SecurityGroupIngress", []), False)
        if "SecurityGroupEgress" in props:
            ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[_ALL_EGRESS])
            self._apply(ec2, group_id, [], props["SecurityGroupEgress"], True)
        return group_id, {"GroupId": group_id, "VpcId": props.get("VpcId", "")}

    def _apply(self, ec2, group_id, old, new, egress):
        gone = [_permission(r, egress) for r in old if r not in new]
        added = [_permission(r, egress) for r in new if r not in old]
        if gone:
            (ec2.revoke_security_group_egress if egress else ec2.revoke_security_group_ingress)(GroupId=group_id, IpPermissions=gone)
        if added:
            (ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress)(GroupId=group_id, IpPermissions=added)

    def update(self, p, physical, old, new, attrs):
        ec2 = p.client("ec2")
        self._apply(ec2, physical, old.get("SecurityGroupIngress", []), new.get("SecurityGroupIngress", []), False)
        old_egress = old.get("SecurityGroupEgress", [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}])
        new_egress = new.get("SecurityGroupEgress", [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}])
        self._apply(ec2, physical, old_egress, new_egress, True)
        _retag(p, physical, old, new)
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_security_group(GroupId=physical)


class _GroupRule(Provider):
    egress = False
    in_place = frozenset({"Description"})

    def create(self, p, logical_id, props):
        call = p.client("ec2").authorize_security_group_egress if self.egress else p.client("ec2").authorize_security_group_ingress
        out = call(GroupId=props["GroupId"], IpPermissions=[_permission(props, self.egress)])
        rules = out.get("SecurityGroupRules") or [{}]
        rule_id = rules[0].get("SecurityGroupRuleId") or f"sgr-{props['GroupId']}-{logical_id}"
        return rule_id, {"Id": rule_id}

    def update(self, p, physical, old, new, attrs):
        ec2 = p.client("ec2")
        call = ec2.update_security_group_rule_descriptions_egress if self.egress else ec2.update_security_group_rule_descriptions_ingress
        call(GroupId=new["GroupId"], IpPermissions=[_permission(new, self.egress)])
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        call = p.client("ec2").revoke_security_group_egress if self.egress else p.client("ec2").revoke_security_group_ingress
        call(GroupId=props["GroupId"], IpPermissions=[_permission(props, self.egress)])


@register
class Ingress(_GroupRule):
    type = "AWS::EC2::SecurityGroupIngress"


@register
class Egress(_GroupRule):
    type = "AWS::EC2::SecurityGroupEgress"
    egress = True


@register
class Eip(Provider):
    type = "AWS::EC2::EIP"
    in_place = frozenset({"Tags", "Domain"})

    def create(self, p, logical_id, props):
        out = p.client("ec2").allocate_address(Domain=props.get("Domain", "vpc"), TagSpecifications=_spec("elastic-ip", p, props.get("Tags")))
        return out["PublicIp"], {"AllocationId": out["AllocationId"], "PublicIp": out["PublicIp"]}

    def update(self, p, physical, old, new, attrs):
        if old.get("Domain", "vpc") != new.get("Domain", "vpc"):
            # MoveAddressToVpc / RestoreAddressToClassic: the address keeps its public IP
            ec2 = p.client("ec2")
            (ec2.move_address_to_vpc if new.get("Domain", "vpc") == "vpc" else ec2.restore_address_to_classic)(PublicIp=physical)
        _tag(p, attrs["AllocationId"], new.get("Tags"))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("ec2").release_address(AllocationId=attrs["AllocationId"])


@register
class NatGateway(_Simple):
    type = "AWS::EC2::NatGateway"
    # A regional gateway's zones and addresses change in place ("Update requires: No interruption":
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-natgateway.html), through
    # AssociateNatGatewayAddress and DisassociateNatGatewayAddress.
    in_place = frozenset({"Tags", "AvailabilityZoneAddresses"})

    def _attributes(self, p, physical, diff, new):
        if "AvailabilityZoneAddresses" not in diff:
            return
        ec2 = p.client("ec2")
        [gateway] = ec2.describe_nat_gateways(NatGatewayIds=[physical])["NatGateways"]
        held = {(a.get("AvailabilityZone"), a["AllocationId"]): a["AssociationId"] for a in gateway.get("NatGatewayAddresses", [])}
        wanted = {(z.get("AvailabilityZone"), a) for z in new.get("AvailabilityZoneAddresses") or [] for a in z.get("AllocationIds") or []}
        gone = [association for pair, association in held.items() if pair not in wanted]
        if gone:
            ec2.disassociate_nat_gateway_address(NatGatewayId=physical, AssociationIds=gone)
        for zone in sorted({z for z, _ in wanted}):
            added = [a for z, a in wanted if z == zone and (z, a) not in held]
            if added:
                ec2.associate_nat_gateway_address(NatGatewayId=physical, AvailabilityZone=zone, AllocationIds=sorted(added))

    def create(self, p, logical_id, props):
        # zonal: in SubnetId with AllocationId; regional (AvailabilityMode): at VpcId, an address per listed zone
        nat = p.client("ec2").create_nat_gateway(**compact({
            "AvailabilityMode": props.get("AvailabilityMode"), "VpcId": props.get("VpcId"),
            "AvailabilityZoneAddresses": props.get("AvailabilityZoneAddresses"),
            "AllocationId": props.get("AllocationId"), "SubnetId": props.get("SubnetId"), "ConnectivityType": props.get("ConnectivityType"),
            "TagSpecifications": _spec("natgateway", p, props.get("Tags"))}))["NatGateway"]
        return nat["NatGatewayId"], {"NatGatewayId": nat["NatGatewayId"]}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_nat_gateway(NatGatewayId=physical)


@register
class VpcEndpoint(Provider):
    """Gateway endpoints (routes to the service's prefix list in their route tables) and interface endpoints (a
    network interface per subnet, private DNS); CreateVpcEndpoint and ModifyVpcEndpoint as CloudFormation calls them."""

    type = "AWS::EC2::VPCEndpoint"
    in_place = frozenset({"PolicyDocument", "RouteTableIds", "SubnetIds", "SecurityGroupIds", "PrivateDnsEnabled", "Tags"})

    @staticmethod
    def _policy(props):
        policy = props.get("PolicyDocument")
        return policy if policy is None or isinstance(policy, str) else json.dumps(policy)

    def create(self, p, logical_id, props):
        ec2 = p.client("ec2")
        kind = props.get("VpcEndpointType") or "Gateway"
        endpoint = ec2.create_vpc_endpoint(**compact({
            "VpcId": props["VpcId"], "ServiceName": props["ServiceName"], "VpcEndpointType": kind, "PolicyDocument": self._policy(props),
            "RouteTableIds": props.get("RouteTableIds"), "SubnetIds": props.get("SubnetIds"), "SecurityGroupIds": props.get("SecurityGroupIds"),
            "PrivateDnsEnabled": as_bool(props["PrivateDnsEnabled"]) if "PrivateDnsEnabled" in props else None,
            "TagSpecifications": _spec("vpc-endpoint", p, props.get("Tags"))}))["VpcEndpoint"]
        return endpoint["VpcEndpointId"], self._attrs(endpoint)

    @staticmethod
    def _attrs(endpoint):
        return {"Id": endpoint["VpcEndpointId"], "CreationTimestamp": str(endpoint.get("CreationTimestamp", "")),
                "NetworkInterfaceIds": endpoint.get("NetworkInterfaceIds", []),
                "DnsEntries": [f"{e.get('HostedZoneId', '')}:{e.get('DnsName', '')}" for e in endpoint.get("DnsEntries", [])]}

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)

        def moved(key):
            before, after = set(old.get(key) or []), set(new.get(key) or [])
            return sorted(after - before), sorted(before - after)

        add_rt, remove_rt = moved("RouteTableIds")
        add_sn, remove_sn = moved("SubnetIds")
        add_sg, remove_sg = moved("SecurityGroupIds")
        args = compact({"VpcEndpointId": physical, "AddRouteTableIds": add_rt or None, "RemoveRouteTableIds": remove_rt or None,
                        "AddSubnetIds": add_sn or None, "RemoveSubnetIds": remove_sn or None,
                        "AddSecurityGroupIds": add_sg or None, "RemoveSecurityGroupIds": remove_sg or None,
                        "PolicyDocument": self._policy(new) if "PolicyDocument" in diff else None,
                        "PrivateDnsEnabled": as_bool(new.get("PrivateDnsEnabled", False)) if "PrivateDnsEnabled" in diff else None})
        if len(args) > 1:
            p.client("ec2").modify_vpc_endpoint(**args)
        if "Tags" in diff:
            _retag(p, physical, old, new)
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_vpc_endpoints(VpcEndpointIds=[physical])


@register
class FlowLog(_Simple):
    type = "AWS::EC2::FlowLog"

    def create(self, p, logical_id, props):
        out = p.client("ec2").create_flow_logs(**compact({
            "ResourceIds": [props["ResourceId"]], "ResourceType": props["ResourceType"], "TrafficType": props.get("TrafficType"),
            "LogDestinationType": props.get("LogDestinationType"), "LogGroupName": props.get("LogGroupName"),
            "LogDestination": props.get("LogDestination"), "DeliverLogsPermissionArn": props.get("DeliverLogsPermissionArn"),
            "MaxAggregationInterval": as_int(props.get("MaxAggregationInterval")), "LogFormat": props.get("LogFormat"),
            "TagSpecifications": _spec("vpc-flow-log", p, props.get("Tags"))}))
        if out.get("Unsuccessful"):
            raise ResourceFailure(f"flow log not created: {out['Unsuccessful']}")
        flow_id = out["FlowLogIds"][0]
        return flow_id, {"Id": flow_id}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_flow_logs(FlowLogIds=[physical])


@register
class LaunchTemplate(Provider):
    type = "AWS::EC2::LaunchTemplate"
    in_place = frozenset({"LaunchTemplateData", "TagSpecifications"})

    def create(self, p, logical_id, props):
        specs = props.get("TagSpecifications") or []
        out = p.client("ec2").create_launch_template(**compact({
            "LaunchTemplateName": props.get("LaunchTemplateName") or p.name(128), "LaunchTemplateData": props["LaunchTemplateData"],
            "TagSpecifications": [{"ResourceType": s["ResourceType"], "Tags": p.tags(s.get("Tags"))} for s in specs] or None}))["LaunchTemplate"]
        lt_id = out["LaunchTemplateId"]
        return lt_id, {"LaunchTemplateId": lt_id, "LatestVersionNumber": str(out["LatestVersionNumber"]), "DefaultVersionNumber": str(out["DefaultVersionNumber"])}

    def update(self, p, physical, old, new, attrs):
        ec2 = p.client("ec2")
        version = ec2.create_launch_template_version(LaunchTemplateId=physical, LaunchTemplateData=new["LaunchTemplateData"])
        number = version["LaunchTemplateVersion"]["VersionNumber"]
        ec2.modify_launch_template(LaunchTemplateId=physical, DefaultVersion=str(number))
        return physical, {**attrs, "LatestVersionNumber": str(number), "DefaultVersionNumber": str(number)}

    def delete(self, p, physical, props, attrs):
        p.client("ec2").delete_launch_template(LaunchTemplateId=physical)
