"""Deletion protection as Elastic Load Balancing and RDS enforce it: a protected resource refuses its delete,
the same resource deletes once protection is off."""

from __future__ import annotations

import uuid

import pytest


def test_a_protected_load_balancer_refuses_its_delete_and_deletes_once_unprotected(aws):
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    arn = elbv2.create_load_balancer(Name=f"p-{uuid.uuid4().hex[:8]}", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}])
    with pytest.raises(elbv2.exceptions.ClientError, match=r"OperationNotPermitted.*cannot be deleted because deletion protection is enabled"):
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]

    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert all(lb["LoadBalancerArn"] != arn for lb in elbv2.describe_load_balancers()["LoadBalancers"])
