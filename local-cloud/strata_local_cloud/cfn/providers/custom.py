"""Custom resources (Custom::* and AWS::CloudFormation::CustomResource)."""

from __future__ import annotations

from ...lambda_runtime.invoker import CustomResourceFailure
from ..errors import ResourceFailure
from . import Provider, Provision, register


def _request(p: Provision, kind: str, props, physical=None, old=None):
    token = props.get("ServiceToken")
    if not token:
        raise ResourceFailure("ServiceToken is required: the ARN of the function that implements the custom resource")
    function = p.services.functions.function(token)
    if function is None:
        raise ResourceFailure(f"ServiceToken {token} is not a Lambda function deployed to the local cloud; "
                              "the local cloud runs custom resources whose function it created")
    event = {"RequestType": kind, "ServiceToken": token, "StackId": p.stack.id if p.stack else "", "LogicalResourceId": p.logical_id,
             "ResourceType": p.resource_type or "AWS::CloudFormation::CustomResource", "ResourceProperties": props}
    if physical is not None:
        event["PhysicalResourceId"] = physical
    if old is not None:
        event["OldResourceProperties"] = old
    timeout = int(props.get("ServiceTimeout", 3600))
    answer = p.services.invoker.invoke(p, function, event, timeout)
    status = answer.get("Status")
    if status == "SUCCESS":
        return answer.get("PhysicalResourceId") or physical, answer.get("Data") or {}
    reason = answer.get("Reason") or "See the details in CloudWatch Log Stream"
    raise CustomResourceFailure(f"Received response status [{status}] from custom resource. Message returned: {reason}",
                                answer.get("PhysicalResourceId"))


@register
class CustomResource(Provider):
    type = "AWS::CloudFormation::CustomResource"

    def check_in_place(self, old, new):
        """Custom resources have no schema: CloudFormation sends every change to the function as Update."""
        return None

    def create(self, p, logical_id, props):
        return _request(p, "Create", props)

    def update(self, p, physical, old, new, attrs):
        return _request(p, "Update", new, physical, old)

    def delete(self, p, physical, props, attrs):
        _request(p, "Delete", props, physical)
