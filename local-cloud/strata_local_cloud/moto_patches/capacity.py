"""Network and capacity rules the services enforce that moto 5.2.5 does not (EC2 subnets, VPC endpoints' private DNS,
ALB zones, Auto Scaling sizes)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from ..rules import rule
from .core import guard

if TYPE_CHECKING:
    from ..dataplane import DataPlane

SUBNET_SIZE = rule(
    "ec2-subnet-size", "service", ("AWS::EC2::Subnet",),
    "an IPv4 subnet CIDR block smaller than /28 or larger than /16 (moto accepts /29 and fails with HTTP 500 on /30)",
    "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html (\"between a /16 netmask and a /28 netmask\")")
ENDPOINT_PRIVATE_DNS = rule(
    "ec2-endpoint-private-dns", "service", ("AWS::EC2::VPCEndpoint",),
    "an interface endpoint with private DNS in a VPC whose enableDnsSupport or enableDnsHostnames is off",
    "https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html (\"To use private DNS, you must "
    "enable DNS hostnames and DNS resolution for your VPC\"); EC2 answers \"Enabling private DNS requires both "
    "enableDnsSupport and enableDnsHostnames VPC attributes set to true for <vpc>\" (InvalidParameter)")
ALB_ZONES = rule(
    "elbv2-alb-two-zones", "service", ("AWS::ElasticLoadBalancingV2::LoadBalancer",),
    "an Application Load Balancer whose subnets are in fewer than two Availability Zones",
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html (Subnets: "
    "\"You must specify subnets from at least two Availability Zones\")")
ASG_SIZES = rule(
    "autoscaling-sizes", "service", ("AWS::AutoScaling::AutoScalingGroup",),
    "MinSize above MaxSize, or DesiredCapacity outside MinSize..MaxSize, on create and update",
    "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html (DesiredCapacity: "
    "\"must be greater than or equal to the minimum size of the group and less than or equal to the maximum size\")")

ASG_UPDATE_SIZES = rule(
    "autoscaling-update-sizes", "updates", ("AWS::AutoScaling::AutoScalingGroup",),
    "an update whose MinSize, MaxSize and DesiredCapacity (with the group's current values for those it leaves out) do not order",
    "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html")


def _subnet(backend: Any, args: dict[str, Any]) -> None:
    from moto.ec2.exceptions import InvalidCIDRBlockParameterError, InvalidSubnetRangeError

    cidr = args.get("cidr_block")
    if not cidr:
        return
    try:
        net = ipaddress.IPv4Network(str(cidr), strict=False)
    except ValueError:
        raise InvalidCIDRBlockParameterError(cidr) from None
    if not 16 <= net.prefixlen <= 28:
        raise InvalidSubnetRangeError(cidr)  # "The CIDR '10.0.0.0/29' is invalid."


def _endpoint(backend: Any, args: dict[str, Any]) -> None:
    from moto.ec2.exceptions import EC2ClientError

    if str(args.get("endpoint_type") or "").lower() != "interface" or not args.get("private_dns_enabled"):
        return
    vpc = backend.get_vpc(args["vpc_id"])
    if not (vpc.enable_dns_support and vpc.enable_dns_hostnames):
        raise EC2ClientError("InvalidParameter", "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames "
                             f"VPC attributes set to true for {vpc.id}")


def _load_balancer(backend: Any, args: dict[str, Any]) -> None:
    from moto.elbv2.exceptions import ValidationError

    if (args.get("loadbalancer_type") or "application") != "application":
        return
    ids = list(args.get("subnet_ids") or []) + [m["SubnetId"] for m in args.get("subnet_mappings") or [] if m.get("SubnetId")]
    zones = {backend.ec2_backend.get_subnet(i).availability_zone for i in ids}
    if len(zones) < 2:
        raise ValidationError("At least two subnets in two different Availability Zones must be specified")


def _sizes(backend: Any, args: dict[str, Any]) -> None:
    from moto.autoscaling.exceptions import ValidationError

    def number(key: str) -> int | None:
        v = args.get(key)
        return None if v is None else int(v)

    low, high, desired = number("min_size"), number("max_size"), number("desired_capacity")
    group = backend.autoscaling_groups.get(args["name"])
    if group is not None:  # an update: what it leaves out keeps the group's value
        low = group.min_size if low is None else low
        high = group.max_size if high is None else high
    if low is not None and high is not None and low > high:
        raise ValidationError(f"Max bound, {high}, must be greater than or equal to min bound, {low}")
    if desired is not None and low is not None and high is not None and not low <= desired <= high:
        raise ValidationError(f"Desired capacity:{desired} must be between the specified min size:{low} and max size:{high}")


def install(plane: DataPlane) -> None:
    from moto.autoscaling.models import AutoScalingBackend
    from moto.ec2.models import EC2Backend
    from moto.elbv2.models import ELBv2Backend

    guard(EC2Backend, "create_subnet", _subnet)
    guard(EC2Backend, "create_vpc_endpoint", _endpoint)
    guard(ELBv2Backend, "create_load_balancer", _load_balancer)
    guard(AutoScalingBackend, "create_auto_scaling_group", _sizes)
    guard(AutoScalingBackend, "update_auto_scaling_group", _sizes)
