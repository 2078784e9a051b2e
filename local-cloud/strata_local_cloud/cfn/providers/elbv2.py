"""Elastic Load Balancing v2: load balancers, target groups, listeners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import Provider, as_bool, changed, compact, found, register


def _lb_attrs(lb):
    arn = lb["LoadBalancerArn"]
    return {"DNSName": lb["DNSName"], "LoadBalancerFullName": arn.split(":loadbalancer/", 1)[1], "LoadBalancerArn": arn,
            "LoadBalancerName": lb["LoadBalancerName"], "CanonicalHostedZoneID": lb.get("CanonicalHostedZoneId", ""),
            "SecurityGroups": lb.get("SecurityGroups", [])}


@register
class LoadBalancer(Provider):
    type = "AWS::ElasticLoadBalancingV2::LoadBalancer"
    in_place = frozenset({"LoadBalancerAttributes", "SecurityGroups", "Subnets", "Tags"})

    name_property = "Name"

    def exists(self, p, name):
        elbv2 = p.client("elbv2")
        return found(lambda: elbv2.describe_load_balancers(Names=[name]), elbv2.exceptions.LoadBalancerNotFoundException)

    def create(self, p, logical_id, props):
        elb = p.client("elbv2")
        lb = elb.create_load_balancer(**compact({
            "Name": props.get("Name") or p.name(32), "Subnets": props.get("Subnets"), "SecurityGroups": props.get("SecurityGroups"),
            "Scheme": props.get("Scheme"), "Type": props.get("Type"), "IpAddressType": props.get("IpAddressType"),
            "Tags": p.tags(props.get("Tags")) or None}))["LoadBalancers"][0]
        p.created(lb["LoadBalancerArn"])
        if props.get("LoadBalancerAttributes"):
            elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
                {"Key": a["Key"], "Value": str(a["Value"])} for a in props["LoadBalancerAttributes"]])
        return lb["LoadBalancerArn"], _lb_attrs(lb)

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        elb = p.client("elbv2")
        if "LoadBalancerAttributes" in diff:
            elb.modify_load_balancer_attributes(LoadBalancerArn=physical, Attributes=[
                {"Key": a["Key"], "Value": str(a["Value"])} for a in new.get("LoadBalancerAttributes", [])])
        if "SecurityGroups" in diff:
            elb.set_security_groups(LoadBalancerArn=physical, SecurityGroups=new["SecurityGroups"])
        if "Subnets" in diff:
            elb.set_subnets(LoadBalancerArn=physical, Subnets=new["Subnets"])
        if "Tags" in diff:
            elb.add_tags(ResourceArns=[physical], Tags=p.tags(new.get("Tags")))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("elbv2").delete_load_balancer(LoadBalancerArn=physical)


_TG: dict[str, Callable[[Any], Any]] = {"Protocol": str, "Port": int, "VpcId": str, "TargetType": str, "HealthCheckEnabled": as_bool, "HealthCheckProtocol": str,
       "HealthCheckPath": str, "HealthCheckPort": str, "HealthCheckIntervalSeconds": int, "HealthCheckTimeoutSeconds": int,
       "HealthyThresholdCount": int, "UnhealthyThresholdCount": int, "Matcher": dict, "ProtocolVersion": str}
_TG_MODIFY = {"HealthCheckEnabled", "HealthCheckProtocol", "HealthCheckPath", "HealthCheckPort", "HealthCheckIntervalSeconds",
              "HealthCheckTimeoutSeconds", "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher"}


@register
class TargetGroup(Provider):
    type = "AWS::ElasticLoadBalancingV2::TargetGroup"
    in_place = frozenset(_TG_MODIFY | {"TargetGroupAttributes", "Tags"})

    name_property = "Name"

    def exists(self, p, name):
        elbv2 = p.client("elbv2")
        return found(lambda: elbv2.describe_target_groups(Names=[name]), elbv2.exceptions.TargetGroupNotFoundException)

    def create(self, p, logical_id, props):
        elb = p.client("elbv2")
        args = {k: conv(props[k]) for k, conv in _TG.items() if k in props}
        tags = p.tags(props.get("Tags"))  # CreateTargetGroup refuses an empty Tags list: send none then
        tg = elb.create_target_group(Name=props.get("Name") or p.name(32), **({"Tags": tags} if tags else {}), **args)["TargetGroups"][0]
        p.created(tg["TargetGroupArn"])
        self._attributes(elb, tg["TargetGroupArn"], props)
        arn = tg["TargetGroupArn"]
        return arn, {"TargetGroupArn": arn, "TargetGroupName": tg["TargetGroupName"], "TargetGroupFullName": arn.split(":", 5)[5],
                     "LoadBalancerArns": tg.get("LoadBalancerArns", [])}

    def _attributes(self, elb, arn, props):
        if props.get("TargetGroupAttributes"):
            elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
                {"Key": a["Key"], "Value": str(a["Value"])} for a in props["TargetGroupAttributes"]])

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        elb = p.client("elbv2")
        modify = {k: _TG[k](new[k]) for k in diff & _TG_MODIFY if k in new}
        if modify:
            elb.modify_target_group(TargetGroupArn=physical, **modify)
        self._attributes(elb, physical, new)
        if "Tags" in diff:
            elb.add_tags(ResourceArns=[physical], Tags=p.tags(new.get("Tags")))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("elbv2").delete_target_group(TargetGroupArn=physical)


def _actions(actions):
    out = []
    for a in actions:
        a = dict(a)
        if "RedirectConfig" in a and "Port" in a["RedirectConfig"]:
            a["RedirectConfig"] = {**a["RedirectConfig"], "Port": str(a["RedirectConfig"]["Port"])}
        if "Order" in a:
            a["Order"] = int(a["Order"])
        out.append(a)
    return out


@register
class Listener(Provider):
    type = "AWS::ElasticLoadBalancingV2::Listener"
    in_place = frozenset({"Protocol", "Port", "SslPolicy", "Certificates", "DefaultActions", "AlpnPolicy"})

    def _args(self, props):
        return compact({"Protocol": props.get("Protocol"), "Port": int(props["Port"]) if "Port" in props else None,
                        "SslPolicy": props.get("SslPolicy"), "Certificates": props.get("Certificates"),
                        "DefaultActions": _actions(props["DefaultActions"]), "AlpnPolicy": props.get("AlpnPolicy")})

    def create(self, p, logical_id, props):
        listener = p.client("elbv2").create_listener(LoadBalancerArn=props["LoadBalancerArn"], **self._args(props))["Listeners"][0]
        return listener["ListenerArn"], {"ListenerArn": listener["ListenerArn"]}

    def update(self, p, physical, old, new, attrs):
        p.client("elbv2").modify_listener(ListenerArn=physical, **self._args(new))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("elbv2").delete_listener(ListenerArn=physical)
