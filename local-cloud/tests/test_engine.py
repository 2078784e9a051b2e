"""The local cloud's CloudFormation against small templates: change sets, outputs, nested stacks,
replacement, rollback, deletion policies and custom resources run as Node.js processes."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from strata_local_cloud.testing import failure_reasons as reasons
from strata_local_cloud.testing import function_code, until
from strata_local_cloud.testing import wait_stack as wait

BUCKET_STACK = {
    "Parameters": {"Name": {"Type": "String"}, "Retention": {"Type": "Number", "Default": 7}},
    "Resources": {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/t/${Name}"}, "RetentionInDays": {"Ref": "Retention"}}},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "Name"}, "VersioningConfiguration": {"Status": "Enabled"}}},
    },
    "Outputs": {"BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}, "Description": "arn"}},
}


def uid() -> str:
    return uuid.uuid4().hex[:10]


def test_a_change_set_deploy_has_outputs_and_an_empty_change_set_says_so(aws, deploy):
    name = f"b-{uid()}"
    stack = deploy(f"s-{name}", BUCKET_STACK, {"Name": name})
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"] == [{"OutputKey": "BucketArn", "OutputValue": f"arn:aws:s3:::{name}", "Description": "arn"}]
    cf = aws("cloudformation")
    cs = cf.create_change_set(StackName=f"s-{name}", ChangeSetName="again", TemplateBody=json.dumps(BUCKET_STACK),
                              Parameters=[{"ParameterKey": "Name", "UsePreviousValue": True}])
    described = cf.describe_change_set(ChangeSetName=cs["Id"])
    assert (described["Status"], described["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert "didn't contain changes" in described["StatusReason"]


def test_a_property_change_updates_in_place_and_a_create_only_change_replaces(aws, deploy):
    name, cf, s3, logs = f"b-{uid()}", aws("cloudformation"), aws("s3"), aws("logs")
    deploy(f"s-{name}", BUCKET_STACK, {"Name": name})
    cs = cf.create_change_set(StackName=f"s-{name}", ChangeSetName="retention", TemplateBody=json.dumps(BUCKET_STACK),
                              Parameters=[{"ParameterKey": "Name", "UsePreviousValue": True}, {"ParameterKey": "Retention", "ParameterValue": "14"}])
    [change] = [c["ResourceChange"] for c in cf.describe_change_set(ChangeSetName=cs["Id"])["Changes"]]
    assert (change["LogicalResourceId"], change["Action"], change["Replacement"]) == ("Logs", "Modify", "False")
    cf.execute_change_set(ChangeSetName=cs["Id"])
    assert wait(cf, f"s-{name}")["StackStatus"] == "UPDATE_COMPLETE"
    assert logs.describe_log_groups(logGroupNamePrefix=f"/t/{name}")["logGroups"][0]["retentionInDays"] == 14

    renamed = f"{name}-2"
    stack = deploy(f"s-{name}", BUCKET_STACK, {"Name": renamed, "Retention": "14"})
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert renamed in buckets and name not in buckets  # replaced: the new one created, then the old one deleted
    assert stack["Outputs"][0]["OutputValue"] == f"arn:aws:s3:::{renamed}"


def test_update_replace_policy_retain_keeps_the_replaced_resource(aws, deploy):
    name = f"b-{uid()}"
    template = json.loads(json.dumps(BUCKET_STACK))
    template["Resources"]["Bucket"]["UpdateReplacePolicy"] = "Retain"
    deploy(f"s-{name}", template, {"Name": name})
    deploy(f"s-{name}", template, {"Name": f"{name}-2"})
    buckets = {b["Name"] for b in aws("s3").list_buckets()["Buckets"]}
    assert {name, f"{name}-2"} <= buckets


def test_an_unsupported_type_fails_the_deploy_and_rolls_back_what_was_created(aws, deploy):
    name, cf = f"b-{uid()}", aws("cloudformation")
    template = json.loads(json.dumps(BUCKET_STACK))
    template["Resources"]["Odd"] = {"Type": "AWS::SQS::Queue", "DependsOn": "Bucket"}
    stack = deploy(f"s-{name}", template, {"Name": name})
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("AWS::SQS::Queue is not supported by the local cloud" in r for r in reasons(cf, f"s-{name}"))
    assert name not in {b["Name"] for b in aws("s3").list_buckets()["Buckets"]}


def test_a_failed_update_rolls_back_to_the_previous_state(aws, deploy):
    name, _cf = f"b-{uid()}", aws("cloudformation")
    deploy(f"s-{name}", BUCKET_STACK, {"Name": name})
    broken = json.loads(json.dumps(BUCKET_STACK))
    broken["Resources"]["Odd"] = {"Type": "AWS::SQS::Queue", "DependsOn": "Logs"}
    stack = deploy(f"s-{name}", broken, {"Name": name, "Retention": "30"})
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert aws("logs").describe_log_groups(logGroupNamePrefix=f"/t/{name}")["logGroups"][0]["retentionInDays"] == 7
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Retention"] == "7"


def test_deletion_policy_retain_keeps_the_resource_and_delete_removes_the_rest(aws, deploy):
    name, cf = f"b-{uid()}", aws("cloudformation")
    template = json.loads(json.dumps(BUCKET_STACK))
    template["Resources"]["Bucket"]["DeletionPolicy"] = "Retain"
    stack_id = deploy(f"s-{name}", template, {"Name": name})["StackId"]
    cf.delete_stack(StackName=f"s-{name}")
    assert wait(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert name in {b["Name"] for b in aws("s3").list_buckets()["Buckets"]}
    assert aws("logs").describe_log_groups(logGroupNamePrefix=f"/t/{name}")["logGroups"] == []
    with pytest.raises(cf.exceptions.ClientError, match="does not exist"):
        cf.describe_stacks(StackName=f"s-{name}")


def test_bad_parameters_are_refused_before_anything_exists(aws):
    cf = aws("cloudformation")
    template = {"Parameters": {"Env": {"Type": "String", "AllowedValues": ["dev", "prod"], "ConstraintDescription": "Env is dev or prod"}},
                "Resources": {"T": {"Type": "AWS::SNS::Topic"}}}
    with pytest.raises(cf.exceptions.ClientError, match="Parameter 'Env' must be one of AllowedValues, got 'qa': Env is dev or prod"):
        cf.create_change_set(StackName="bad-params", ChangeSetName="c", TemplateBody=json.dumps(template), ChangeSetType="CREATE",
                             Parameters=[{"ParameterKey": "Env", "ParameterValue": "qa"}])
    with pytest.raises(cf.exceptions.ClientError, match="does not exist"):
        cf.describe_stacks(StackName="bad-params")


def test_nested_stack_outputs_resolve_through_getatt(aws, deploy):
    s3, key = aws("s3"), f"child-{uid()}.json"
    s3.create_bucket(Bucket="templates-for-tests")
    child = {"Parameters": {"Prefix": {"Type": "String"}}, "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${Prefix}-topic"}}}},
             "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}}}
    s3.put_object(Bucket="templates-for-tests", Key=key, Body=json.dumps(child).encode())
    parent = {"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": f"https://s3.us-east-1.amazonaws.com/templates-for-tests/{key}", "Parameters": {"Prefix": key[:-5]}}}},
        "Outputs": {"FromChild": {"Value": {"Fn::GetAtt": ["Child", "Outputs.TopicArn"]}}}}
    stack = deploy(f"p-{uid()}", parent)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"][0]["OutputValue"] == f"arn:aws:sns:us-east-1:123456789012:{key[:-5]}-topic"


# ---------------------------------------------------------------- custom resources

HANDLER = """
const fs = require('node:fs');
let invocations = 0; // module state: kept between the invocations of one execution environment
exports.handler = async (event, context) => {
  const p = event.ResourceProperties;
  invocations += 1;
  fs.appendFileSync(process.env.MARKER, JSON.stringify({ type: event.RequestType, id: event.PhysicalResourceId ?? null,
    old: event.OldResourceProperties?.Value ?? null, region: process.env.AWS_REGION, endpoint: process.env.AWS_ENDPOINT_URL,
    pid: process.pid, invocations, flavour: process.env.FLAVOUR, stream: context.logStreamName, node: process.version }) + '\\n');
  if (p.Mode === 'crash' && event.RequestType !== 'Delete') process.exit(7);
  if (p.Mode === 'hang' && event.RequestType !== 'Delete') await new Promise((resolve) => setTimeout(resolve, 60_000));
  if (p.Mode === 'silent' && event.RequestType !== 'Delete') return;
  const failed = p.Mode === 'fail' && event.RequestType !== 'Delete';
  const id = event.RequestType === 'Create' ? `id-${p.Value}` : p.NewId === 'yes' ? `id-${p.Value}` : event.PhysicalResourceId;
  await fetch(event.ResponseURL, { method: 'PUT', body: JSON.stringify({ Status: failed ? 'FAILED' : 'SUCCESS',
    Reason: failed ? 'boom from the function' : 'ok', PhysicalResourceId: id, StackId: event.StackId, RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId, Data: { Echo: `${p.Value}:${typeof p.Number}` } }) });
};
"""


@pytest.fixture()
def custom(aws, tmp_path: Path):
    """A template with a Node.js function and a custom resource using it; returns (template, marker file)."""
    code = function_code(aws("s3"), "code-for-tests", HANDLER)
    marker = tmp_path / "requests.jsonl"
    template = {
        "Parameters": {"Value": {"Type": "String"}, "Mode": {"Type": "String", "Default": "ok"}, "NewId": {"Type": "String", "Default": "no"},
                       "Flavour": {"Type": "String", "Default": "plain"}, "FunctionTimeout": {"Type": "Number", "Default": 10}},
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "nodejs22.x", "Handler": "index.handler", "Timeout": {"Ref": "FunctionTimeout"}, "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": code, "Environment": {"Variables": {"MARKER": str(marker), "FLAVOUR": {"Ref": "Flavour"}}}}},
            "Thing": {"Type": "Custom::Thing", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "ServiceTimeout": 20,
                                                              "Value": {"Ref": "Value"}, "Mode": {"Ref": "Mode"}, "NewId": {"Ref": "NewId"}, "Number": 3}},
        },
        "Outputs": {"Echo": {"Value": {"Fn::GetAtt": ["Thing", "Echo"]}}, "Id": {"Value": {"Ref": "Thing"}}},
    }
    return template, marker


def requests(marker: Path) -> list[dict]:
    return [json.loads(line) for line in marker.read_text().splitlines()] if marker.exists() else []


def test_a_custom_resource_answers_before_its_dependants_resolve(aws, deploy, custom, moto_server):
    template, marker = custom
    stack = deploy(f"c-{uid()}", template, {"Value": "a"})
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs == {"Echo": "a:string", "Id": "id-a"}  # properties arrive as strings, as CloudFormation sends them
    [create] = requests(marker)
    assert create["type"] == "Create" and create["endpoint"] == moto_server and create["region"] == "us-east-1"
    assert create["node"].startswith("v22."), create["node"]  # a nodejs22.x function runs on Node.js 22, as on Lambda


def test_a_custom_resource_update_sends_old_properties_and_a_new_id_deletes_the_old(aws, deploy, custom):
    template, marker = custom
    name = f"c-{uid()}"
    deploy(name, template, {"Value": "a"})
    stack = deploy(name, template, {"Value": "b", "NewId": "yes"})
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert [(r["type"], r["id"], r["old"]) for r in requests(marker)] == [("Create", None, None), ("Update", "id-a", "a"), ("Delete", "id-a", None)]


def test_a_failed_custom_resource_fails_the_deploy_with_its_reason_and_is_sent_delete_on_rollback(aws, deploy, custom):
    template, marker = custom
    name, cf = f"c-{uid()}", aws("cloudformation")
    stack = deploy(name, template, {"Value": "a", "Mode": "fail"})
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE", list(reasons(cf, name))
    assert any("Received response status [FAILED] from custom resource. Message returned: boom from the function" in r for r in reasons(cf, name))
    assert [(r["type"], r["id"]) for r in requests(marker)] == [("Create", None), ("Delete", "id-a")]


def test_a_custom_resource_that_never_answers_fails_the_deploy(aws, deploy, custom):
    template, _marker = custom
    name, cf = f"c-{uid()}", aws("cloudformation")
    stack = deploy(name, template, {"Value": "a", "Mode": "silent"})
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("did not receive a response from your Custom Resource: the function returned without answering" in r for r in reasons(cf, name))


# Execution environments (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html): Lambda keeps
# an environment after an invocation for the function's next ones (its module state with it), gives a function whose
# code or configuration changed new environments, and resets one whose invocation crashed or timed out.
def test_a_functions_environment_serves_its_next_invocations_with_its_module_state(aws, deploy, custom):
    template, marker = custom
    name = f"c-{uid()}"
    deploy(name, template, {"Value": "a"})
    deploy(name, template, {"Value": "b"})
    aws("cloudformation").delete_stack(StackName=name)
    assert until(lambda: len(requests(marker)) == 3)
    create, update, delete = requests(marker)
    assert (create["type"], update["type"], delete["type"]) == ("Create", "Update", "Delete")
    assert create["pid"] == update["pid"] == delete["pid"] and [r["invocations"] for r in (create, update, delete)] == [1, 2, 3]
    # one log stream per environment, named as Lambda names it: <date>/[$LATEST]<environment ID>
    assert create["stream"] == delete["stream"] and re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", create["stream"])


def test_a_function_whose_configuration_changed_runs_in_a_new_environment(aws, deploy, custom):
    template, marker = custom
    name = f"c-{uid()}"
    deploy(name, template, {"Value": "a"})
    deploy(name, template, {"Value": "b", "Flavour": "spicy"})  # the function's environment variables change first
    create, update = requests(marker)
    assert (create["flavour"], update["flavour"]) == ("plain", "spicy")
    assert create["pid"] != update["pid"] and update["invocations"] == 1


def test_an_environment_whose_invocation_crashed_is_replaced_for_the_next(aws, deploy, custom):
    template, marker = custom
    name, cf = f"c-{uid()}", aws("cloudformation")
    deploy(name, template, {"Value": "a"})
    stack = deploy(name, template, {"Value": "b", "Mode": "crash"})
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert any("did not receive a response from your Custom Resource: the function exited (code 7) without answering" in r
               for r in reasons(cf, name))
    create, crashed, rolled_back = requests(marker)
    assert [r["type"] for r in (create, crashed, rolled_back)] == ["Create", "Update", "Update"]
    assert create["pid"] == crashed["pid"] != rolled_back["pid"] and rolled_back["invocations"] == 1


def test_an_environment_whose_invocation_timed_out_is_replaced_for_the_next(aws, deploy, custom):
    template, marker = custom
    name, cf = f"c-{uid()}", aws("cloudformation")
    deploy(name, template, {"Value": "a", "FunctionTimeout": "1"})
    stack = deploy(name, template, {"Value": "b", "Mode": "hang", "FunctionTimeout": "1"})
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert any("the function timed out after 1 s without answering" in r for r in reasons(cf, name))
    create, hung, rolled_back = requests(marker)
    assert create["pid"] == hung["pid"] != rolled_back["pid"] and rolled_back["invocations"] == 1


# DeletionPolicy on the rollback of the create that made the resource, as CloudFormation documents it
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html):
# Retain keeps the resource even then, so its fixed name blocks the retry; RetainExceptOnCreate deletes it
# on that rollback and keeps it on every later delete.
def _named_log_group(policy: str) -> dict:
    return {"Parameters": {"Name": {"Type": "String"}},
            "Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": policy,
                                   "Properties": {"LogGroupName": {"Fn::Sub": "/t/${Name}"}}}}}


def _failing(template: dict) -> dict:
    broken = json.loads(json.dumps(template))
    broken["Resources"]["Odd"] = {"Type": "AWS::SQS::Queue", "DependsOn": "Logs"}
    return broken


def _groups(aws, name: str) -> list[str]:
    return [g["logGroupName"] for g in aws("logs").describe_log_groups(logGroupNamePrefix=f"/t/{name}")["logGroups"]]


def test_retain_keeps_a_resource_whose_create_rolled_back_and_its_name_blocks_the_retry(aws, deploy):
    name, cf = f"r-{uid()}", aws("cloudformation")
    stack = deploy(f"s-{name}", _failing(_named_log_group("Retain")), {"Name": name})
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cf.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    assert any(e["LogicalResourceId"] == "Logs" and e["ResourceStatus"] == "DELETE_SKIPPED" for e in events)
    assert _groups(aws, name) == [f"/t/{name}"]
    cf.delete_stack(StackName=stack["StackId"])
    wait(cf, stack["StackId"])

    # Pre-deployment validation finds the retained name: the change set fails before anything is created.
    with pytest.raises(AssertionError, match=r"AWS::EarlyValidation::ResourceExistenceCheck"):
        deploy(f"s-{name}", _named_log_group("Retain"), {"Name": name})


def test_retain_except_on_create_deletes_on_that_rollback_and_retains_on_a_later_delete(aws, deploy):
    name, cf = f"r-{uid()}", aws("cloudformation")
    stack = deploy(f"s-{name}", _failing(_named_log_group("RetainExceptOnCreate")), {"Name": name})
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert _groups(aws, name) == []
    cf.delete_stack(StackName=stack["StackId"])
    wait(cf, stack["StackId"])

    retry = deploy(f"s-{name}", _named_log_group("RetainExceptOnCreate"), {"Name": name})
    assert retry["StackStatus"] == "CREATE_COMPLETE"
    cf.delete_stack(StackName=retry["StackId"])
    assert wait(cf, retry["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert _groups(aws, name) == [f"/t/{name}"]  # retained by the delete, as Retain would


@pytest.mark.parametrize(("policy", "kept"), [("Retain", True), ("RetainExceptOnCreate", False), ("Delete", False)])
def test_a_resource_added_by_a_failed_update_follows_its_policy_on_the_rollback(aws, deploy, policy, kept):
    name, _cf = f"r-{uid()}", aws("cloudformation")
    assert deploy(f"s-{name}", {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})["StackStatus"] == "CREATE_COMPLETE"
    added = _failing(_named_log_group(policy))
    added["Resources"]["T"] = {"Type": "AWS::SNS::Topic"}
    assert deploy(f"s-{name}", added, {"Name": name})["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert _groups(aws, name) == ([f"/t/{name}"] if kept else [])


def test_a_null_value_is_refused_at_validation_and_its_quoted_twin_is_accepted(aws, deploy):
    # A YAML flow mapping split by an unquoted comma: "Description: a (b, c)" parses as a key with no value.
    cf, name = aws("cloudformation"), f"n-{uid()}"
    body = "Resources:\n  Group:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: {desc}\n"
    broken = body.format(desc="{ Text: to APIs (SSM, CloudWatch) }").replace("GroupDescription: ", "Tags:\n        - ")
    with pytest.raises(cf.exceptions.ClientError,
                       match=r"\[/Resources/Group/Properties/Tags/0/CloudWatch\)\] 'null' values are not allowed in templates"):
        cf.create_change_set(StackName=name, ChangeSetName="c", TemplateBody=broken, ChangeSetType="CREATE")
    with pytest.raises(cf.exceptions.ClientError, match="does not exist"):
        cf.describe_stacks(StackName=name)
    assert deploy(name, body.format(desc="'to APIs (SSM, CloudWatch)'"))["StackStatus"] == "CREATE_COMPLETE"


# RDS engine-version rules the database layer depends on (moto_patches/rds.py): a major upgrade in place needs
# AllowMajorVersionUpgrade, and a major past its end of standard support cannot be created with Extended
# Support disabled. Both refusals have their accepted twin.
DB_STACK = {
    "Parameters": {"Name": {"Type": "String"}, "Version": {"Type": "String"}, "Family": {"Type": "String"},
                   "Allow": {"Type": "String", "Default": "true"},
                   "Lifecycle": {"Type": "String", "Default": "open-source-rds-extended-support-disabled"}},
    "Resources": {
        "Params": {"Type": "AWS::RDS::DBParameterGroup", "Properties": {
            "Family": {"Ref": "Family"}, "Description": "t", "Parameters": {"require_secure_transport": "1"}}},
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBInstanceIdentifier": {"Ref": "Name"}, "Engine": "mysql", "EngineVersion": {"Ref": "Version"},
            "DBInstanceClass": "db.t4g.small", "AllocatedStorage": 20, "MasterUsername": "admin", "ManageMasterUserPassword": True,
            "DBParameterGroupName": {"Ref": "Params"}, "AllowMajorVersionUpgrade": {"Ref": "Allow"},
            "EngineLifecycleSupport": {"Ref": "Lifecycle"}}},
    },
}


def test_mysql_80_cannot_be_created_without_extended_support_and_can_with_it(aws, deploy):
    name, cf = f"db-{uid()}", aws("cloudformation")
    refused = deploy(f"s-{name}", DB_STACK, {"Name": name, "Version": "8.0.43", "Family": "mysql8.0"})
    assert refused["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("reached the end of standard support on 2026-07-31" in r for r in reasons(cf, refused["StackId"]))
    cf.delete_stack(StackName=refused["StackId"])
    wait(cf, refused["StackId"])
    accepted = deploy(f"s-{name}", DB_STACK, {"Name": name, "Version": "8.0.43", "Family": "mysql8.0",
                                             "Lifecycle": "open-source-rds-extended-support"})
    assert accepted["StackStatus"] == "CREATE_COMPLETE"
    cf.delete_stack(StackName=accepted["StackId"])
    wait(cf, accepted["StackId"])


def test_a_major_upgrade_modifies_the_instance_in_place_only_with_allow_major_version_upgrade(aws, deploy):
    name, cf, rds = f"db-{uid()}", aws("cloudformation"), aws("rds")
    base = {"Name": name, "Version": "8.0.43", "Family": "mysql8.0", "Lifecycle": "open-source-rds-extended-support"}
    assert deploy(f"s-{name}", DB_STACK, {**base, "Allow": "false"})["StackStatus"] == "CREATE_COMPLETE"
    before = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]

    upgrade = {**base, "Version": "8.4.6", "Family": "mysql8.4", "Lifecycle": "open-source-rds-extended-support-disabled"}
    refused = deploy(f"s-{name}", DB_STACK, {**upgrade, "Allow": "false"})
    assert refused["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert any("AllowMajorVersionUpgrade flag must be present" in r for r in reasons(cf, refused["StackId"]))
    assert rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["EngineVersion"] == "8.0.43"

    cs = cf.create_change_set(StackName=f"s-{name}", ChangeSetName="upgrade", TemplateBody=json.dumps(DB_STACK),
                              Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in {**upgrade, "Allow": "true"}.items()])
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in cf.describe_change_set(ChangeSetName=cs["Id"])["Changes"]}
    assert (changes["Db"]["Action"], changes["Db"]["Replacement"]) == ("Modify", "False")
    assert (changes["Params"]["Action"], changes["Params"]["Replacement"]) == ("Modify", "True")
    cf.execute_change_set(ChangeSetName=cs["Id"])
    assert wait(cf, f"s-{name}")["StackStatus"] == "UPDATE_COMPLETE"
    after = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    assert after["EngineVersion"] == "8.4.6"
    assert after["DbiResourceId"] == before["DbiResourceId"]  # the same instance, modified in place
    cf.delete_stack(StackName=refused["StackId"])
    wait(cf, refused["StackId"])


@pytest.mark.parametrize(("fails", "kept"), [(True, False), (False, True)])
def test_a_nested_stack_rolled_back_with_the_create_that_made_it_deletes_its_retain_except_on_create_resources(aws, deploy, fails, kept):
    # The nested stack's resources were created by the root's operation: when that rolls back they go with it;
    # a later delete of the root keeps them.
    s3, cf, key, name = aws("s3"), aws("cloudformation"), f"child-{uid()}.json", f"r-{uid()}"
    s3.create_bucket(Bucket="templates-for-tests")
    s3.put_object(Bucket="templates-for-tests", Key=key, Body=json.dumps(_named_log_group("RetainExceptOnCreate")).encode())
    parent = {"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": f"https://s3.us-east-1.amazonaws.com/templates-for-tests/{key}", "Parameters": {"Name": name}}}}}
    if fails:
        parent["Resources"]["Odd"] = {"Type": "AWS::SQS::Queue", "DependsOn": "Child"}
    stack = deploy(f"p-{name}", parent)
    assert stack["StackStatus"] == ("ROLLBACK_COMPLETE" if fails else "CREATE_COMPLETE")
    if not fails:
        cf.delete_stack(StackName=stack["StackId"])
        assert wait(cf, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert _groups(aws, name) == ([f"/t/{name}"] if kept else [])


def test_a_config_rule_scoped_by_tag_reads_back_as_aws_returns_it(moto_server: str):
    """DescribeConfigRules answers a tag scope as TagKey/TagValue (moto_patches/config.py), as PutConfigRule takes it."""
    import boto3

    config = boto3.client("config", region_name="sa-east-1", endpoint_url=moto_server, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    config.put_configuration_recorder(ConfigurationRecorder={"name": "scope-test", "roleARN": "arn:aws:iam::123456789012:role/config"})
    name = f"scoped-{uid()}"
    try:
        config.put_config_rule(ConfigRule={"ConfigRuleName": name, "Scope": {"TagKey": "strata:environment", "TagValue": "dev"},
                                           "Source": {"Owner": "AWS", "SourceIdentifier": "DB_INSTANCE_BACKUP_ENABLED"}})
        [rule] = config.describe_config_rules(ConfigRuleNames=[name])["ConfigRules"]
        assert rule["Scope"] == {"TagKey": "strata:environment", "TagValue": "dev"}
    finally:
        config.delete_config_rule(ConfigRuleName=name)
        config.delete_configuration_recorder(ConfigurationRecorderName="scope-test")
