"""Accounts selected by credentials, and service-managed StackSets on them (cfn/stacksets.py): stack instances in every
account of the target OUs and region, never the management account; operations with failure tolerance and region
order; parameter updates; automatic deployment to an account that joins an OU and removal from one that leaves; the
AWS::CloudFormation::StackSet resource. Each test has an organization of its own (fresh account IDs)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from strata_local_cloud.accounts import session_for
from strata_local_cloud.testing import wait_stack

Clients = Callable[[str, str], Any]
STACKSETS = "member.org.stacksets.cloudformation.amazonaws.com"
TOPIC = {
    "Parameters": {"Colour": {"Type": "String", "Default": "blue"}, "BadAccount": {"Type": "String", "Default": "none"}},
    "Conditions": {"IsBad": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, {"Ref": "BadAccount"}]}},
    "Resources": {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Colour"}}},
        # a type the local cloud has no provider for: its create fails, in the one account named
        "Broken": {"Type": "AWS::SQS::Queue", "Condition": "IsBad"},
    },
    "Outputs": {"Account": {"Value": {"Ref": "AWS::AccountId"}}, "Colour": {"Value": {"Ref": "Colour"}}},
}


def account_clients(url: str, account: str | None) -> Clients:
    session = session_for(url, account)
    make: Any = session.client  # Any: boto3's client() is typed per service-name literal
    return lambda service, region="us-east-1": make(service, region_name=region, endpoint_url=url)


class Org:
    """An organization of its own: a management account, OUs, accounts."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.master = str(random.randrange(10**11, 10**12))
        self.c = account_clients(url, self.master)
        self.org = self.c("organizations")
        self.org.create_organization(FeatureSet="ALL")
        self.org.enable_aws_service_access(ServicePrincipal=STACKSETS)
        self.root = self.org.list_roots()["Roots"][0]["Id"]

    def ou(self, name: str, parent: str | None = None) -> str:
        return self.org.create_organizational_unit(ParentId=parent or self.root, Name=name)["OrganizationalUnit"]["Id"]

    def account(self, name: str, ou: str | None = None) -> str:
        account = self.org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        if ou:
            self.org.move_account(AccountId=account, SourceParentId=self.root, DestinationParentId=ou)
        return account

    def of(self, account: str) -> Clients:
        return account_clients(self.url, account)


@pytest.fixture()
def org(moto_server: str) -> Org:
    return Org(moto_server)


def wait_op(cf: Any, name: str, operation: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        op = cf.describe_stack_set_operation(StackSetName=name, OperationId=operation)["StackSetOperation"]
        if op["Status"] not in ("QUEUED", "RUNNING") or time.monotonic() > deadline:
            return op
        time.sleep(0.2)


def instances(cf: Any, name: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["Account"], i["Region"]): i for i in cf.list_stack_instances(StackSetName=name)["Summaries"]}


def stack_set(cf: Any, name: str, **extra: Any) -> str:
    return cf.create_stack_set(StackSetName=name, TemplateBody=json.dumps(TOPIC), PermissionModel="SERVICE_MANAGED",
                               AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
                               ManagedExecution={"Active": True}, **extra)["StackSetId"]


def test_an_account_sees_its_own_stacks_and_resources_only(org: Org):
    a, b = org.of(org.account("a")), org.of(org.account("b"))
    body = json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "same"}}},
                       "Outputs": {"Account": {"Value": {"Ref": "AWS::AccountId"}}}})
    ids = {}
    for name, c in (("a", a), ("b", b)):
        ids[name] = c("cloudformation").create_stack(StackName="same", TemplateBody=body)["StackId"]
        assert wait_stack(c("cloudformation"), ids[name])["StackStatus"] == "CREATE_COMPLETE"
    for name, c in (("a", a), ("b", b)):
        [only] = c("cloudformation").describe_stacks()["Stacks"]
        assert only["StackId"] == ids[name]
        account = c("sts").get_caller_identity()["Account"]
        assert only["Outputs"] == [{"OutputKey": "Account", "OutputValue": account}]
        assert c("sns").list_topics()["Topics"] == [{"TopicArn": f"arn:aws:sns:us-east-1:{account}:same"}]
    with pytest.raises(a("cloudformation").exceptions.ClientError, match="does not exist"):
        a("cloudformation").describe_stacks(StackName=ids["b"])


def test_instances_reach_every_account_of_the_ous_and_their_children_never_the_management_account(org: Org):
    workloads = org.ou("workloads")
    team = org.ou("team", parent=workloads)
    targeted = {org.account("w1", workloads), org.account("w2", workloads), org.account("t1", team)}
    outside = org.account("other", org.ou("sandbox"))
    cf = org.c("cloudformation")
    stack_set(cf, "spread")
    op = cf.create_stack_instances(StackSetName="spread", DeploymentTargets={"OrganizationalUnitIds": [workloads]},
                                   Regions=["us-east-1", "eu-west-1"],
                                   OperationPreferences={"RegionOrder": ["eu-west-1", "us-east-1"], "MaxConcurrentPercentage": 100,
                                                         "FailureTolerancePercentage": 100})["OperationId"]
    assert wait_op(cf, "spread", op)["Status"] == "SUCCEEDED"
    found = instances(cf, "spread")
    assert set(found) == {(a, r) for a in targeted for r in ("us-east-1", "eu-west-1")}
    assert {(i["Status"], i["StackInstanceStatus"]["DetailedStatus"]) for i in found.values()} == {("CURRENT", "SUCCEEDED")}
    assert outside not in {a for a, _ in found} and org.master not in {a for a, _ in found}
    for (account, region), instance in found.items():
        stack = org.of(account)("cloudformation", region).describe_stacks(StackName=instance["StackId"])["Stacks"][0]
        assert stack["StackName"].startswith("StackSet-spread-") and stack["StackStatus"] == "CREATE_COMPLETE"
        assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {"Account": account, "Colour": "blue"}
    results = cf.list_stack_set_operation_results(StackSetName="spread", OperationId=op)["Summaries"]
    assert len(results) == 6 and {r["Status"] for r in results} == {"SUCCEEDED"}


def test_a_region_over_its_failure_tolerance_stops_the_operation_and_the_regions_after_it(org: Org):
    ou = org.ou("workloads")
    bad = org.account("bad", ou)
    good = org.account("good", ou)
    cf = org.c("cloudformation")
    stack_set(cf, "fragile", Parameters=[{"ParameterKey": "BadAccount", "ParameterValue": bad}])
    op = cf.create_stack_instances(StackSetName="fragile", DeploymentTargets={"OrganizationalUnitIds": [ou]},
                                   Regions=["us-east-1", "eu-west-1"],
                                   OperationPreferences={"RegionConcurrencyType": "SEQUENTIAL", "RegionOrder": ["eu-west-1", "us-east-1"],
                                                         "FailureToleranceCount": 0, "MaxConcurrentCount": 1})["OperationId"]
    done = wait_op(cf, "fragile", op)
    assert done["Status"] == "FAILED"
    results = {(r["Account"], r["Region"]): r for r in cf.list_stack_set_operation_results(StackSetName="fragile", OperationId=op)["Summaries"]}
    assert results[(bad, "eu-west-1")]["Status"] == "FAILED"
    assert "ResourceLogicalId:Broken" in results[(bad, "eu-west-1")]["StatusReason"]
    assert {results[(a, "us-east-1")]["Status"] for a in (bad, good)} == {"CANCELLED"}  # the region after it never started
    found = instances(cf, "fragile")
    assert found[(bad, "eu-west-1")]["Status"] == "OUTDATED"
    # tolerated, the same failure leaves the other accounts and regions deployed
    tolerant = cf.create_stack_instances(StackSetName="fragile", DeploymentTargets={"OrganizationalUnitIds": [ou]},
                                         Regions=["us-east-1", "eu-west-1"],
                                         OperationPreferences={"FailureToleranceCount": 1, "MaxConcurrentCount": 2})["OperationId"]
    assert wait_op(cf, "fragile", tolerant)["Status"] == "SUCCEEDED"
    assert {k: i["Status"] for k, i in instances(cf, "fragile").items() if k[0] == good} == {
        (good, "us-east-1"): "CURRENT", (good, "eu-west-1"): "CURRENT"}


def test_a_parameter_update_reaches_every_instance(org: Org):
    ou = org.ou("workloads")
    accounts = [org.account("a1", ou), org.account("a2", ou)]
    cf = org.c("cloudformation")
    stack_set(cf, "colours")
    first = cf.create_stack_instances(StackSetName="colours", DeploymentTargets={"OrganizationalUnitIds": [ou]}, Regions=["us-east-1"],
                                      OperationPreferences={"MaxConcurrentPercentage": 100, "FailureTolerancePercentage": 100})["OperationId"]
    assert wait_op(cf, "colours", first)["Status"] == "SUCCEEDED"
    update = cf.update_stack_set(StackSetName="colours", UsePreviousTemplate=True,
                                 Parameters=[{"ParameterKey": "Colour", "ParameterValue": "green"}])["OperationId"]
    assert wait_op(cf, "colours", update)["Status"] == "SUCCEEDED"
    for account in accounts:
        stack_id = instances(cf, "colours")[(account, "us-east-1")]["StackId"]
        stack = org.of(account)("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]
        assert stack["StackStatus"] == "UPDATE_COMPLETE"
        assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Colour"] == "green"


def test_an_account_that_joins_a_target_ou_is_enrolled_and_one_that_leaves_is_removed(org: Org):
    ou = org.ou("workloads")
    org.account("first", ou)
    cf = org.c("cloudformation")
    stack_set(cf, "auto")
    op = cf.create_stack_instances(StackSetName="auto", DeploymentTargets={"OrganizationalUnitIds": [ou]}, Regions=["us-east-1", "eu-west-1"],
                                   OperationPreferences={"MaxConcurrentPercentage": 100, "FailureTolerancePercentage": 100})["OperationId"]
    assert wait_op(cf, "auto", op)["Status"] == "SUCCEEDED"

    joined = org.account("joined", ou)
    enrolment = next(o for o in cf.list_stack_set_operations(StackSetName="auto")["Summaries"] if o["OperationId"] != op)
    assert (enrolment["Action"], wait_op(cf, "auto", enrolment["OperationId"])["Status"]) == ("CREATE", "SUCCEEDED")
    enrolled = {k: i for k, i in instances(cf, "auto").items() if k[0] == joined}
    assert set(enrolled) == {(joined, "us-east-1"), (joined, "eu-west-1")}
    stack_id = enrolled[(joined, "us-east-1")]["StackId"]

    org.org.move_account(AccountId=joined, SourceParentId=ou, DestinationParentId=org.root)
    removal = cf.list_stack_set_operations(StackSetName="auto")["Summaries"][0]
    assert (removal["Action"], wait_op(cf, "auto", removal["OperationId"])["Status"]) == ("DELETE", "SUCCEEDED")
    assert not any(k[0] == joined for k in instances(cf, "auto"))
    gone = org.of(joined)("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]
    assert gone["StackStatus"] == "DELETE_COMPLETE"  # RetainStacksOnAccountRemoval false


def test_a_stack_set_with_instances_cannot_be_deleted_until_they_are(org: Org):
    ou = org.ou("workloads")
    org.account("member", ou)
    cf = org.c("cloudformation")
    stack_set(cf, "lasting")
    op = cf.create_stack_instances(StackSetName="lasting", DeploymentTargets={"OrganizationalUnitIds": [ou]}, Regions=["us-east-1"])["OperationId"]
    assert wait_op(cf, "lasting", op)["Status"] == "SUCCEEDED"
    with pytest.raises(cf.exceptions.StackSetNotEmptyException):
        cf.delete_stack_set(StackSetName="lasting")
    gone = cf.delete_stack_instances(StackSetName="lasting", DeploymentTargets={"OrganizationalUnitIds": [ou]}, Regions=["us-east-1"],
                                     RetainStacks=False)["OperationId"]
    assert wait_op(cf, "lasting", gone)["Status"] == "SUCCEEDED"
    cf.delete_stack_set(StackSetName="lasting")
    assert [s["Status"] for s in cf.list_stack_sets()["Summaries"] if s["StackSetName"] == "lasting"] == ["DELETED"]


def test_the_stack_set_resource_creates_its_instances_and_its_delete_removes_them(org: Org):
    ou = org.ou("workloads")
    member = org.account("member", ou)
    cf = org.c("cloudformation")
    template = {"Resources": {"Spread": {"Type": "AWS::CloudFormation::StackSet", "Properties": {
        "StackSetName": "by-resource", "PermissionModel": "SERVICE_MANAGED", "TemplateBody": json.dumps(TOPIC),
        "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False}, "ManagedExecution": {"Active": True},
        "OperationPreferences": {"RegionConcurrencyType": "SEQUENTIAL", "RegionOrder": ["eu-west-1", "us-east-1"],
                                 "MaxConcurrentPercentage": 100, "FailureTolerancePercentage": 0},
        "StackInstancesGroup": [{"DeploymentTargets": {"OrganizationalUnitIds": [ou]}, "Regions": ["eu-west-1", "us-east-1"]}]}}}}
    stack = cf.create_stack(StackName="rollout", TemplateBody=json.dumps(template))["StackId"]
    assert wait_stack(cf, stack, timeout=180)["StackStatus"] == "CREATE_COMPLETE"
    assert set(instances(cf, "by-resource")) == {(member, "eu-west-1"), (member, "us-east-1")}
    cf.delete_stack(StackName=stack)
    assert wait_stack(cf, stack, timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    assert [s["Status"] for s in cf.list_stack_sets()["Summaries"]] == ["DELETED"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in org.of(member)("cloudformation").list_stacks()["StackSummaries"])
