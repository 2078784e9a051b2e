"""The query protocol against botocore's own parser, and every resource type the templates use has a provider."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from botocore.parsers import QueryParser

from strata_local_cloud.cfn import protocol
from strata_local_cloud.cfn import template as tpl
from strata_local_cloud.cfn.errors import Unsupported
from strata_local_cloud.cfn.providers import provider_for
from strata_local_cloud.cfn.replacement import requires_replacement

REPO = Path(__file__).resolve().parents[2]

MODEL = protocol.service_model("cloudformation")


def test_a_response_parses_back_with_botocore():
    op = MODEL.operation_model("DescribeStacks")
    when = dt.datetime(2026, 11, 28, 1, 2, 3, 456000, tzinfo=dt.UTC)
    stack = {"StackId": "arn:s", "StackName": "s & <t>", "CreationTime": when, "StackStatus": "CREATE_COMPLETE",
             "Outputs": [{"OutputKey": "K", "OutputValue": "v1,v2"}], "Capabilities": ["CAPABILITY_IAM"], "DisableRollback": False,
             "Tags": [{"Key": "Owner", "Value": "platform"}]}
    body = protocol.write_response(MODEL, op, {"Stacks": [stack]}, "req-1")
    parsed = QueryParser().parse({"body": body.encode(), "status_code": 200, "headers": {}}, op.output_shape)
    assert parsed["Stacks"] == [stack]
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"


def test_a_request_form_reads_into_the_input_shape():
    op = MODEL.operation_model("CreateChangeSet")
    form = {"StackName": "s", "ChangeSetName": "c", "Parameters.member.1.ParameterKey": "A", "Parameters.member.1.ParameterValue": "1",
            "Parameters.member.2.ParameterKey": "B", "Parameters.member.2.UsePreviousValue": "true", "Capabilities.member.1": "CAPABILITY_IAM",
            "IncludeNestedStacks": "true"}
    assert protocol.parse_request(op, form) == {
        "StackName": "s", "ChangeSetName": "c", "Capabilities": ["CAPABILITY_IAM"], "IncludeNestedStacks": True,
        "Parameters": [{"ParameterKey": "A", "ParameterValue": "1"}, {"ParameterKey": "B", "UsePreviousValue": True}]}


def _types() -> list[str]:
    """Every type the deployed templates contain: as written, plus what the SAM transform emits."""
    found: set[str] = set()
    pseudo = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::StackId": "arn:x", "AWS::StackName": "s"}
    for path in [REPO / "template.yaml", *sorted((REPO / "nested").glob("*.yaml"))]:
        body = re.sub(r"CodeUri: .*", "CodeUri: s3://bucket/key.zip", path.read_text())
        raw = tpl.parse(body)
        params = {k: str(v.get("Default", "dev")) for k, v in (raw.get("Parameters") or {}).items()}
        params.update(EnvironmentType="dev", EnvironmentSuffix="t")
        out = tpl.apply_transforms(raw, params, pseudo)
        found |= {r["Type"] for r in out["Resources"].values()}
    return sorted(found)


def test_every_type_in_the_templates_has_a_provider():
    # one test, not one per type: the types come from transforming every template, which each worker would do while
    # collecting (0.5 s of CPU each)
    types = _types()
    assert len(types) > 40, types

    def missing(resource_type: str) -> bool:
        try:
            return provider_for(resource_type) is None
        except Unsupported:
            return True

    assert [t for t in types if missing(t)] == []


def test_an_unknown_type_is_refused_loudly():
    with pytest.raises(Unsupported, match="AWS::Foo::Bar is not supported by the local cloud"):
        provider_for("AWS::Foo::Bar")


def test_replacement_follows_the_registry_schema():
    assert requires_replacement("AWS::RDS::DBInstance", {"DBSubnetGroupName": "a"}, {"DBSubnetGroupName": "b"})
    assert requires_replacement("AWS::S3::Bucket", {"BucketName": "a"}, {"BucketName": "b"})
    assert not requires_replacement("AWS::RDS::DBInstance", {"DBInstanceClass": "db.t4g.micro"}, {"DBInstanceClass": "db.t4g.small"})
    assert not requires_replacement("Custom::Anything", {"X": "1"}, {"X": "2"})
