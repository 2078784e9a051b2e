"""CloudFormation's lifecycle semantics in the local cloud: one operation per stack at a time, one live stack per
name, resources removed and added back, nested stacks run concurrently and rolled back with their parent,
DeleteStack's RetainResources. Each refusal has its accepted twin."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from strata_local_cloud.testing import function_code
from strata_local_cloud.testing import wait_stack as wait

# the module fixtures upload code once for every test here: keep them on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("local-cloud-stack-lifecycle")

# A custom resource that takes Delay seconds: it keeps a stack operation in progress long enough to observe.
SLOW_HANDLER = """
exports.handler = async (event) => {
  const p = event.ResourceProperties;
  if (event.RequestType !== 'Delete') await new Promise((r) => setTimeout(r, Number(p.Delay) * 1000));
  await fetch(event.ResponseURL, { method: 'PUT', body: JSON.stringify({ Status: 'SUCCESS', Reason: 'ok',
    PhysicalResourceId: event.PhysicalResourceId ?? `slow-${event.LogicalResourceId}`, StackId: event.StackId,
    RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, Data: { Done: String(Date.now()) } }) });
};
"""


def uid() -> str:
    return uuid.uuid4().hex[:10]


def log_groups(*names: str) -> dict[str, Any]:
    return {"Resources": {f"G{i}": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": n}} for i, n in enumerate(names)}}


@pytest.fixture(scope="module")
def slow_code(aws) -> dict[str, str]:
    return function_code(aws("s3"), "code-for-lifecycle-tests", SLOW_HANDLER)


def slow_function(code: dict[str, str]) -> dict[str, Any]:
    return {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs22.x", "Handler": "index.handler", "Timeout": 30,
                                                               "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": code}},
    }


def slow_stack(code: dict[str, str]) -> dict[str, Any]:
    return {"Parameters": {"Delay": {"Type": "String", "Default": "0"}},
            "Resources": {**slow_function(code), "Slow": {"Type": "Custom::Slow", "Properties": {
                "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Delay": {"Ref": "Delay"}}}}}


def live(cf: Any, name: str) -> list[dict[str, Any]]:
    return [s for s in cf.list_stacks()["StackSummaries"] if s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"]


# ---------------------------------------------------------------- one live stack per name, one operation at a time

def test_simultaneous_creates_of_one_name_make_exactly_one_stack_every_time(aws):
    cf = aws("cloudformation")
    for _ in range(10):
        name = f"race-{uid()}"
        body = json.dumps(log_groups(f"/race/{name}"))
        results: list[str] = []
        lock = threading.Lock()

        def create(client: Any, lock: threading.Lock = lock, results: list[str] = results) -> None:
            try:
                client.create_stack(StackName=name, TemplateBody=body)  # noqa: B023 - the threads end within the iteration
                outcome = "created"
            except ClientError as error:
                outcome = error.response["Error"]["Code"].removesuffix("Exception")
            with lock:
                results.append(outcome)

        # One client per thread, each made here: a boto3 session is not thread-safe ("Session objects are not thread
        # safe", boto3 guide, "Multithreading or multiprocessing with resources/clients"), and clients made from one
        # session at once by several threads can get distinct AlreadyExistsException classes that an except clause
        # naming another client's class does not catch.
        threads = [threading.Thread(target=create, args=(aws("cloudformation"),)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["AlreadyExists"] * 3 + ["created"], results
        assert len(live(cf, name)) == 1
        assert wait(cf, name)["StackStatus"] == "CREATE_COMPLETE"


def test_a_create_refused_at_validation_leaves_no_stack_and_the_name_free(aws):
    cf, name = aws("cloudformation"), f"bad-{uid()}"
    with pytest.raises(cf.exceptions.ClientError, match="ValidationError"):
        cf.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": {"A": {"Type": "AWS::SNS::Topic", "DependsOn": "Nope"}}}))
    assert live(cf, name) == []
    cf.create_stack(StackName=name, TemplateBody=json.dumps(log_groups(f"/ok/{name}")))
    assert wait(cf, name)["StackStatus"] == "CREATE_COMPLETE"


def test_an_update_while_the_stack_is_updating_is_refused_and_accepted_once_it_is_done(aws, slow_code):
    cf, name = aws("cloudformation"), f"busy-{uid()}"
    body = json.dumps(slow_stack(slow_code))
    stack_id = cf.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])["StackId"]
    assert wait(cf, name)["StackStatus"] == "CREATE_COMPLETE"

    cf.update_stack(StackName=name, TemplateBody=body, Parameters=[{"ParameterKey": "Delay", "ParameterValue": "3"}],
                    Capabilities=["CAPABILITY_IAM"])
    with pytest.raises(cf.exceptions.ClientError, match=r"is in UPDATE_IN_PROGRESS state and can not be updated"):
        cf.update_stack(StackName=name, TemplateBody=body, Parameters=[{"ParameterKey": "Delay", "ParameterValue": "1"}],
                        Capabilities=["CAPABILITY_IAM"])
    with pytest.raises(cf.exceptions.ClientError, match=r"is in UPDATE_IN_PROGRESS state and can not be updated"):
        cf.create_change_set(StackName=name, ChangeSetName="late", TemplateBody=body, ChangeSetType="UPDATE",
                             Parameters=[{"ParameterKey": "Delay", "ParameterValue": "2"}], Capabilities=["CAPABILITY_IAM"])
    with pytest.raises(cf.exceptions.ClientError, match=r"cannot be deleted while in status UPDATE_IN_PROGRESS"):
        cf.delete_stack(StackName=name)
    assert wait(cf, name)["StackStatus"] == "UPDATE_COMPLETE"

    cf.update_stack(StackName=name, TemplateBody=body, Parameters=[{"ParameterKey": "Delay", "ParameterValue": "1"}],
                    Capabilities=["CAPABILITY_IAM"])
    assert wait(cf, name)["StackStatus"] == "UPDATE_COMPLETE"
    cf.delete_stack(StackName=name)
    assert wait(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"


def test_two_simultaneous_updates_run_one_and_refuse_the_other(aws, slow_code):
    cf, name = aws("cloudformation"), f"two-{uid()}"
    body = json.dumps(slow_stack(slow_code))
    cf.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    assert wait(cf, name)["StackStatus"] == "CREATE_COMPLETE"
    results: list[str] = []

    def update(client: Any, delay: str) -> None:
        try:
            client.update_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                                               Parameters=[{"ParameterKey": "Delay", "ParameterValue": delay}])
            results.append("updated")
        except ClientError as error:
            results.append("refused" if "can not be updated" in str(error) else str(error))

    threads = [threading.Thread(target=update, args=(aws("cloudformation"), d)) for d in ("2", "3")]  # clients made here, as above
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["refused", "updated"], results
    assert wait(cf, name)["StackStatus"] == "UPDATE_COMPLETE"


def test_a_stack_deleted_while_it_is_being_created_is_cancelled_and_deleted(aws, slow_code):
    cf, name = aws("cloudformation"), f"cancel-{uid()}"
    template = slow_stack(slow_code)
    template["Resources"]["After"] = {"Type": "AWS::SNS::Topic", "DependsOn": "Slow"}
    cf.create_stack(StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"],
                    Parameters=[{"ParameterKey": "Delay", "ParameterValue": "2"}])
    stack_id = cf.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    cf.delete_stack(StackName=name)
    assert wait(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    events = cf.describe_stack_events(StackName=stack_id)["StackEvents"]
    assert not any(e["LogicalResourceId"] == "After" for e in events)  # never started once the delete came in


# ---------------------------------------------------------------- resources removed and added back

def test_a_resource_removed_by_one_update_and_added_back_by_the_next_is_created_again(aws, deploy):
    cf, logs, name = aws("cloudformation"), aws("logs"), f"readd-{uid()}"
    both, one = log_groups(f"/readd/{name}/a", f"/readd/{name}/b"), log_groups(f"/readd/{name}/a")

    def groups() -> list[str]:
        return sorted(g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=f"/readd/{name}/")["logGroups"])

    stack_id = deploy(name, both)["StackId"]
    assert deploy(name, one)["StackStatus"] == "UPDATE_COMPLETE"
    assert groups() == [f"/readd/{name}/a"]
    assert [r["LogicalResourceId"] for r in cf.describe_stack_resources(StackName=name)["StackResources"]] == ["G0"]
    assert deploy(name, both)["StackStatus"] == "UPDATE_COMPLETE"
    assert groups() == [f"/readd/{name}/a", f"/readd/{name}/b"]
    cf.delete_stack(StackName=name)
    assert wait(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert groups() == []


# ---------------------------------------------------------------- nested stacks

def _child(aws, template: dict[str, Any]) -> str:
    s3, key = aws("s3"), f"child-{uid()}.json"
    s3.create_bucket(Bucket="templates-for-lifecycle-tests")
    s3.put_object(Bucket="templates-for-lifecycle-tests", Key=key, Body=json.dumps(template).encode())
    return f"https://s3.us-east-1.amazonaws.com/templates-for-lifecycle-tests/{key}"


def _spans(cf: Any, stack_id: str) -> dict[str, tuple[Any, Any]]:
    """Each nested stack resource's (CREATE_IN_PROGRESS, CREATE_COMPLETE) timestamps in the parent's events."""
    events = cf.describe_stack_events(StackName=stack_id)["StackEvents"]
    spans: dict[str, list[Any]] = {}
    for e in events:
        if e["ResourceType"] == "AWS::CloudFormation::Stack" and e["LogicalResourceId"] != e["StackName"]:
            slot = {"CREATE_IN_PROGRESS": 0, "CREATE_COMPLETE": 1}.get(e["ResourceStatus"])
            if slot is not None:
                spans.setdefault(e["LogicalResourceId"], [None, None])[slot] = e["Timestamp"]
    return {k: (v[0], v[1]) for k, v in spans.items()}


def test_nested_stacks_that_do_not_depend_on_each_other_are_created_at_the_same_time(aws, deploy, slow_code):
    cf = aws("cloudformation")
    child = _child(aws, {"Parameters": {"Token": {"Type": "String"}}, "Resources": {"Slow": {"Type": "Custom::Slow", "Properties": {
        "ServiceToken": {"Ref": "Token"}, "Delay": "1.5"}}}})
    token = {"Fn::GetAtt": ["Fn", "Arn"]}
    parent = {"Resources": {**slow_function(slow_code),
                            "A": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": child, "Parameters": {"Token": token}}},
                            "B": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": child, "Parameters": {"Token": token}}},
                            # the twin: a nested stack that depends on A starts only once A is complete
                            "C": {"Type": "AWS::CloudFormation::Stack", "DependsOn": "A",
                                  "Properties": {"TemplateURL": child, "Parameters": {"Token": token}}}}}
    stack = deploy(f"par-{uid()}", parent)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    spans = _spans(cf, stack["StackId"])
    (a_start, a_end), (b_start, b_end), (c_start, _) = spans["A"], spans["B"], spans["C"]
    assert a_start < b_end and b_start < a_end  # A and B overlap
    assert c_start >= a_end  # C waited for A


def test_nested_stacks_end_update_rollback_complete_when_their_parent_update_rolls_back(aws, deploy):
    cf, logs, name = aws("cloudformation"), aws("logs"), f"nrb-{uid()}"
    child = _child(aws, {"Parameters": {"Name": {"Type": "String"}, "Days": {"Type": "Number"}},
                         "Resources": {"G": {"Type": "AWS::Logs::LogGroup", "Properties": {
                             "LogGroupName": {"Ref": "Name"}, "RetentionInDays": {"Ref": "Days"}}}}})

    def parent(days: int, broken: bool) -> dict[str, Any]:
        resources: dict[str, Any] = {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
            "TemplateURL": child, "Parameters": {"Name": f"/nrb/{name}", "Days": days}}}}
        if broken:
            resources["Odd"] = {"Type": "AWS::SQS::Queue", "DependsOn": "Child"}
        return {"Resources": resources}

    def child_status() -> str:
        child_id = cf.describe_stack_resource(StackName=name, LogicalResourceId="Child")["StackResourceDetail"]["PhysicalResourceId"]
        return cf.describe_stacks(StackName=child_id)["Stacks"][0]["StackStatus"]

    def retention() -> int:
        return logs.describe_log_groups(logGroupNamePrefix=f"/nrb/{name}")["logGroups"][0]["retentionInDays"]

    assert deploy(name, parent(7, broken=False))["StackStatus"] == "CREATE_COMPLETE"
    # the twin: an update that succeeds leaves the nested stack UPDATE_COMPLETE
    assert deploy(name, parent(14, broken=False))["StackStatus"] == "UPDATE_COMPLETE"
    assert (child_status(), retention()) == ("UPDATE_COMPLETE", 14)
    # the parent's update fails after the nested stack was updated: the nested stack is rolled back with it
    assert deploy(name, parent(30, broken=True))["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert (child_status(), retention()) == ("UPDATE_ROLLBACK_COMPLETE", 14)


def test_a_nested_stack_that_fails_its_create_is_deleted_by_its_parents_rollback(aws, deploy):
    cf, name = aws("cloudformation"), f"nfail-{uid()}"
    child = _child(aws, {"Resources": {"Odd": {"Type": "AWS::SQS::Queue"}}})
    stack = deploy(name, {"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": child}}}})
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    nested = [s for s in cf.list_stacks()["StackSummaries"] if s.get("ParentId") == stack["StackId"]]
    assert [s["StackStatus"] for s in nested] == ["DELETE_COMPLETE"]


# ---------------------------------------------------------------- DeleteStack RetainResources

def test_retain_resources_is_refused_before_a_failed_delete_and_keeps_the_named_resource_after_one(aws, deploy):
    cf, s3, name = aws("cloudformation"), aws("s3"), f"keep-{uid()}"
    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}},
                              "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": name}}}}
    stack = deploy(name, template)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(cf.exceptions.ClientError, match="RetainResources can only be specified when the stack is in the DELETE_FAILED state"):
        cf.delete_stack(StackName=name, RetainResources=["Bucket"])
    s3.put_object(Bucket=name, Key="data", Body=b"keeps the bucket from being deleted")
    cf.delete_stack(StackName=name)
    assert wait(cf, stack["StackId"])["StackStatus"] == "DELETE_FAILED"
    with pytest.raises(cf.exceptions.ClientError, match=r"not resources of stack"):
        cf.delete_stack(StackName=name, RetainResources=["NoSuchResource"])
    cf.delete_stack(StackName=name, RetainResources=["Bucket"])
    assert wait(cf, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert s3.get_object(Bucket=name, Key="data")["Body"].read()  # retained, with its data
    assert not [t for t in aws("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f":{name}")]
    statuses = {(e["LogicalResourceId"], e["ResourceStatus"]) for e in cf.describe_stack_events(StackName=stack["StackId"])["StackEvents"]}
    assert ("Bucket", "DELETE_SKIPPED") in statuses
