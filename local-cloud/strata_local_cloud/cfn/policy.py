"""What CloudFormation does with a resource it takes out of a stack: Delete, Retain or Snapshot."""

from __future__ import annotations

from typing import Literal

from ..rules import ALL_TYPES, rule
from .store import Resource

_POLICIES = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html, "
             "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatereplacepolicy.html")
RETAIN = rule("deletion-policy-retain", "protection", ALL_TYPES,
              "Retain keeps the resource on stack delete and on the rollback of the create that made it; its name then stays taken", _POLICIES)
RETAIN_EXCEPT_ON_CREATE = rule("deletion-policy-retain-except-on-create", "protection", ALL_TYPES,
                               "RetainExceptOnCreate deletes the resource on the rollback of the create that made it, keeps it otherwise", _POLICIES)
UPDATE_REPLACE = rule("update-replace-policy", "protection", ALL_TYPES,
                      "UpdateReplacePolicy Retain keeps the old resource a replacement supersedes (Delete removes it)", _POLICIES)


# Why CloudFormation takes a resource out of a stack.
Why = Literal["remove", "replace", "rollback", "supersede"]


def effective_policy(res: Resource, why: Why) -> str:
    """`why` is the operation: "remove" (stack delete, or a resource left out of an update's template),
    "replace" (the old copy after a replacement), "rollback" (rolling back the operation that created
    the resource) or "supersede" (a custom resource that answered with a new physical ID: CloudFormation
    sends the old one Delete whatever its policy).
    Source: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
    - Retain keeps the resource in every case, also when the create that made it rolls back ("Retain also
      preserves resources that are deleted from stacks before serving traffic, such as the resources that
      are deleted immediately after creation during rollbacks", AWS What's New, 2023-07-31);
    - RetainExceptOnCreate "behaves like Retain for stack operations, except for the stack operation that
      initially created the resource. If the stack operation that created the resource is rolled back,
      CloudFormation deletes the resource."
    - UpdateReplacePolicy (Delete | Retain | Snapshot) applies to the old copy after a replacement:
      https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html
    A Snapshot policy on rollback is treated as Delete here (not verified against AWS).
    """
    if why == "supersede":
        return "Delete"
    if why == "replace":
        return res.update_replace_policy
    policy = res.deletion_policy
    if policy == "RetainExceptOnCreate":
        return "Delete" if why == "rollback" else "Retain"
    if why == "rollback" and policy == "Snapshot":
        return "Delete"
    return policy
