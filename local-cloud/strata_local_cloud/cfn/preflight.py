"""CloudFormation's pre-deployment validation: what it refuses before any resource is provisioned.

Two validations run in FAIL mode on CreateChangeSet, CreateStack and UpdateStack (unless the request sets
DisableValidation): property syntax against the registry schemas (validation.py), and resource name conflicts
("Resource Already Exists": a resource the operation would create under a name that already exists in the
account and region, a resource retained by an earlier stack included).
Source: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/validate-stack-deployments.html
A change set that fails them is FAILED with the reason "The following hook(s)/validation failed: [<names>]. To
troubleshoot Early Validation errors, use the DescribeEvents API for detailed failure information." (the text
SAM CLI users quote), and DescribeEvents lists one VALIDATION_ERROR event per finding with its template path.
The CreateStack/UpdateStack refusal carries the findings in its message: the local cloud's choice (there is no
change set to ask DescribeEvents about); the reason text above is AWS's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..rules import rule
from .context import Provision
from .errors import Unsupported
from .plan import Change
from .providers import provider_for
from .validation import resource_reason, violations

NAME_CONFLICT = rule(
    "name-conflict", "service", ("AWS::S3::Bucket", "AWS::IAM::Role", "AWS::IAM::InstanceProfile", "AWS::Logs::LogGroup",
                                  "AWS::RDS::DBInstance", "AWS::RDS::DBSubnetGroup", "AWS::RDS::DBParameterGroup", "AWS::RDS::EventSubscription",
                                  "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::SNS::Topic",
                                  "AWS::KMS::Alias", "AWS::CloudTrail::Trail", "AWS::Config::ConfigRule", "AWS::Lambda::Function",
                                  "AWS::CloudWatch::Alarm"),
    "creating a resource under a name that exists in the account and region (another stack's, or one retained earlier)",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/validate-stack-deployments.html (resource name conflict "
    "detection); https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-test-contract.html (create: AlreadyExists)")

PROPERTY = "AWS::EarlyValidation::PropertyValidation"
EXISTENCE = "AWS::EarlyValidation::ResourceExistenceCheck"


@dataclass(frozen=True)
class Finding:
    validation: str  # PROPERTY or EXISTENCE
    logical_id: str
    resource_type: str
    path: str  # the template path, as DescribeEvents' ValidationPath gives it
    reason: str

    def event(self) -> dict[str, Any]:
        return {"EventType": "VALIDATION_ERROR", "LogicalResourceId": self.logical_id, "ResourceType": self.resource_type,
                "ValidationFailureMode": "FAIL", "ValidationName": self.validation, "ValidationStatus": "FAILED",
                "ValidationStatusReason": self.reason, "ValidationPath": self.path}


def already_exists(resource_type: str, name: str) -> str:
    """The resource handlers' AlreadyExists text (HandlerErrorCode AlreadyExists)."""
    return f"Resource of type '{resource_type}' with identifier '{name}' already exists."


def findings(changes: list[Change], p: Provision) -> list[Finding]:
    found: list[Finding] = []
    for change in changes:
        if change.action == "Remove":
            continue
        for v in violations(change.type, change.props):
            path = f"/Resources/{change.logical_id}/Properties" + v.pointer()
            found.append(Finding(PROPERTY, change.logical_id, change.type, path, resource_reason(change.logical_id, [v])))
        if change.action == "Add":
            try:
                provider = provider_for(change.type)
            except Unsupported:
                continue  # the create fails naming the type, at the resource (no silent success)
            taken = provider.taken(p, change.props)
            if taken is not None:
                found.append(Finding(EXISTENCE, change.logical_id, change.type,
                                     f"/Resources/{change.logical_id}/Properties/{provider.name_property}", already_exists(change.type, taken)))
    return found


def reason(found: list[Finding]) -> str:
    names = sorted({f.validation for f in found})
    return (f"The following hook(s)/validation failed: [{', '.join(names)}]. To troubleshoot Early Validation errors, "
            "use the DescribeEvents API for detailed failure information.")


def refusal(found: list[Finding]) -> str:
    """The CreateStack/UpdateStack refusal: AWS's reason, then the findings."""
    return reason(found) + " " + " ".join(f"{f.path}: {f.reason}" for f in found)
