"""The engine's template handling: intrinsics, conditions, rules, parameters and order, without a server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from strata_local_cloud.cfn import template as tpl
from strata_local_cloud.cfn.errors import ValidationError

REPO = Path(__file__).resolve().parents[2]

PSEUDO = {"AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333", "AWS::StackId": "arn:stack", "AWS::StackName": "s",
          "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NotificationARNs": []}


def ctx(template: dict, params: dict | None = None, resources: dict | None = None) -> tpl.Context:
    template.setdefault("Resources", {"R": {"Type": "AWS::SNS::Topic"}})
    c = tpl.Context(template=template, params=params or {}, pseudo=PSEUDO)
    if resources is not None:
        c.resource = lambda lid: (resources[lid]["id"], lambda a: resources[lid]["attrs"][a])
    c.evaluate_conditions()
    return c


def test_sub_resolves_parameters_pseudo_attributes_and_keeps_escaped_literals():
    c = ctx({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}, {"Env": "dev"}, {"B": {"id": "bkt", "attrs": {"Arn": "arn:aws:s3:::bkt"}}})
    assert c.resolve({"Fn::Sub": "${B.Arn}/x-${Env}-${AWS::Region}-${!Literal}"}) == "arn:aws:s3:::bkt/x-dev-eu-west-1-${Literal}"
    assert c.resolve({"Fn::Sub": ["${A}-${B}", {"A": "a"}]}) == "a-bkt"


def test_cidr_select_split_join():
    c = ctx({})
    assert c.resolve({"Fn::Cidr": ["10.0.0.0/16", 3, 12]}) == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    assert c.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert c.resolve({"Fn::Join": ["-", ["a", "b"]]}) == "a-b"
    with pytest.raises(ValidationError, match="Fn::Select cannot select nonexistent value at index 5"):
        c.resolve({"Fn::Select": [5, ["a"]]})
    with pytest.raises(ValidationError, match="cannot carve 20 /20 blocks"):
        c.resolve({"Fn::Cidr": ["10.0.0.0/18", 20, 12]})


def test_conditions_if_and_novalue():
    c = ctx({"Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}, "IsNotProd": {"Fn::Not": [{"Condition": "IsProd"}]}}},
            {"Env": "dev"})
    assert c.conditions == {"IsProd": False, "IsNotProd": True}
    assert c.resolve({"A": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}, "B": [{"Fn::If": ["IsNotProd", "x", "y"]}]}) == {"B": ["x"]}


def test_findinmap_with_default_value():
    c = ctx({"Mappings": {"M": {"dev": {"Size": 2}}}})
    assert c.resolve({"Fn::FindInMap": ["M", "dev", "Size"]}) == 2
    assert c.resolve({"Fn::FindInMap": ["M", "prod", "Size", {"DefaultValue": 3}]}) == 3
    with pytest.raises(ValidationError, match="Unable to get mapping for M::prod::Size"):
        c.resolve({"Fn::FindInMap": ["M", "prod", "Size"]})


def test_rules_fail_with_their_assert_description():
    template = {"Rules": {"CertificateRequired": {"RuleCondition": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Env"}, "dev"]}]},
                                                  "Assertions": [{"Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Cert"}, ""]}]},
                                                                  "AssertDescription": "pass CertificateArn"}]}}}
    tpl.check_rules(ctx(dict(template), {"Env": "dev", "Cert": ""}))
    with pytest.raises(ValidationError, match="rule CertificateRequired: pass CertificateArn"):
        tpl.check_rules(ctx(dict(template), {"Env": "prod", "Cert": ""}))


def test_parameter_errors_name_the_parameter_and_its_constraint_description():
    template = {"Parameters": {"Email": {"Type": "String", "AllowedPattern": "^[^@]+@[^@]+$", "ConstraintDescription": "AlarmEmail must be an address"},
                               "Env": {"Type": "String", "AllowedValues": ["dev", "prod"]}, "Size": {"Type": "Number", "MaxValue": 5, "Default": 1}},
                "Resources": {}}
    assert tpl.resolve_parameters(template, {"Email": "a@b", "Env": "dev"}, {}) == {"Email": "a@b", "Env": "dev", "Size": "1"}
    with pytest.raises(ValidationError, match=r"Parameter 'Email' failed to satisfy constraint.*: AlarmEmail must be an address"):
        tpl.resolve_parameters(template, {"Email": "nope", "Env": "dev"}, {})
    with pytest.raises(ValidationError, match=re.escape("Parameters: [Env] must have values")):
        tpl.resolve_parameters(template, {"Email": "a@b"}, {})
    with pytest.raises(ValidationError, match="Parameter 'Size' must be at most 5"):
        tpl.resolve_parameters(template, {"Email": "a@b", "Env": "dev", "Size": "9"}, {})
    with pytest.raises(ValidationError, match=re.escape("Parameters: ['Nope'] do not exist in the template")):
        tpl.resolve_parameters(template, {"Nope": "x"}, {})
    assert tpl.resolve_parameters(template, {"Email": None, "Env": "dev"}, {"Email": "old@x"})["Email"] == "old@x"


def test_creation_order_follows_refs_getatt_sub_and_dependson_and_refuses_cycles():
    resources = {
        "C": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${B.Arn}"}}},
        "B": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": ["A", "Arn"]}}},
        "A": {"Type": "T", "DependsOn": "D"},
        "D": {"Type": "T"},
    }
    assert tpl.creation_order(resources) == ["D", "A", "B", "C"]
    with pytest.raises(ValidationError, match="Circular dependency"):
        tpl.creation_order({"A": {"Type": "T", "Properties": {"X": {"Ref": "B"}}}, "B": {"Type": "T", "Properties": {"X": {"Ref": "A"}}}})


def test_language_extensions_resolve_deletion_policy_and_leave_properties_to_deploy_time():
    body = (REPO / "nested" / "database.yaml").read_text()
    raw = tpl.parse(body)
    params = {k: str(v.get("Default", "x")) for k, v in raw["Parameters"].items()}
    for env, policy in (("true", "RetainExceptOnCreate"), ("false", "Delete")):
        out = tpl.apply_transforms(raw, {**params, "RetainData": env, "EnvironmentSuffix": "t"}, PSEUDO)
        assert out["Resources"]["ErrorLogGroup"]["DeletionPolicy"] == policy
        # The intrinsic in a property is still there for the engine to resolve (not a half-resolved value).
        assert out["Resources"]["DbInstance"]["Properties"]["MonitoringRoleArn"] == {"Fn::GetAtt": ["MonitoringRole", "Arn"]}


def test_sam_transform_needs_packaged_code():
    raw = tpl.parse((REPO / "nested" / "discovery.yaml").read_text())
    params = {k: str(v.get("Default", "x")) for k, v in raw["Parameters"].items()}
    with pytest.raises(ValidationError, match=r"Transform AWS::Serverless-2016-10-31 failed with: .*CodeUri"):
        tpl.apply_transforms(raw, params, PSEUDO)


YAML_CASES = {
    "short-form intrinsics": "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Sub '${AWS::StackName}-x'\n"
                             "      Tags: [{Key: a, Value: !GetAtt B.Arn}, {Key: b, Value: !Ref P}, {Key: c, Value: !Join ['-', [a, !Ref P]]}]\n",
    "timestamps stay strings": "AWSTemplateFormatVersion: 2010-09-09\nResources:\n  T: {Type: AWS::SNS::Topic}\n",
    "merge keys": "Base: &base {Type: AWS::SNS::Topic}\nResources:\n  T:\n    <<: *base\n",
    "a JSON template keeps its key order": '{"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"b": 1, "a": 2}}}}',
}


@pytest.mark.parametrize("body", [*YAML_CASES.values(), *(p.read_text() for p in sorted([REPO / "template.yaml", REPO / "account" / "template.yaml",
                                                                                         *(REPO / "nested").glob("*.yaml")]))],
                         ids=[*YAML_CASES, "template.yaml", "account/template.yaml", *(p.stem for p in sorted((REPO / "nested").glob("*.yaml")))])
def test_templates_read_exactly_as_the_sam_cli_reads_them(body: str):
    """parse() reads YAML with libyaml's parser and the SAM CLI's own constructors: the same values, types and order."""
    from samcli.yamlhelper import yaml_parse

    assert json.dumps(tpl.parse(body)) == json.dumps(yaml_parse(body))
    assert type(tpl.parse(body)) is type(yaml_parse(body))


def test_the_sam_transform_takes_each_region_from_the_stack_and_its_session_is_made_once_per_region() -> None:
    """The translator reads its session's region alone (the partition of the ARNs it writes, the AWS::Region and
    AWS::Partition it substitutes): one session per region serves every template of that region, and a template in
    another region gets that region's values."""
    raw = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {
        "Runtime": "nodejs22.x", "Handler": "index.handler", "CodeUri": "s3://bucket/key.zip"}}}}
    made = {}
    for region, partition in (("us-east-1", "aws"), ("eu-west-1", "aws"), ("us-east-1", "aws"), ("cn-north-1", "aws-cn")):
        out = tpl.apply_transforms(raw, {}, {**PSEUDO, "AWS::Region": region})
        assert out["Resources"]["FnRole"]["Properties"]["ManagedPolicyArns"] == [
            f"arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
        made.setdefault(region, tpl._translator_session(region))
        assert tpl._translator_session(region) is made[region] and made[region].region_name == region
    assert len({id(s) for s in made.values()}) == 3
