"""Clients for the session's local cloud and a deploy helper that waits as sam deploy does, but polls fast."""

from __future__ import annotations

import json
import uuid
from typing import Any, Callable

import boto3
import pytest
from cfn_helpers import wait


@pytest.fixture(scope="session")
def aws(moto_server: str) -> Callable[[str], Any]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return lambda service: session.client(service, endpoint_url=moto_server)


@pytest.fixture()
def deploy(aws: Callable[[str], Any]) -> Callable[..., dict[str, Any]]:
    """deploy(name, template, params) creates or updates a stack through a change set; returns the stack."""
    cf = aws("cloudformation")

    def run(name: str, template: dict[str, Any] | str, params: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
        body = template if isinstance(template, str) else json.dumps(template)
        try:
            exists = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] != "REVIEW_IN_PROGRESS"
        except cf.exceptions.ClientError:
            exists = False
        cs = cf.create_change_set(StackName=name, ChangeSetName=f"c{uuid.uuid4().hex[:8]}", TemplateBody=body,
                                  ChangeSetType="UPDATE" if exists else "CREATE", Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
                                  Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (params or {}).items()], **extra)
        described = cf.describe_change_set(ChangeSetName=cs["Id"])
        if described["Status"] == "FAILED":
            raise AssertionError(described["StatusReason"])
        cf.execute_change_set(ChangeSetName=cs["Id"])
        return wait(cf, cs["StackId"])

    return run

