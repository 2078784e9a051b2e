"""When an update replaces a resource: CloudFormation's rule, read from the registry schemas cfn-lint ships.

A change to a member of the type's `createOnlyProperties` replaces the resource; any other change is an
update in place ("Update requires: Replacement" vs "No interruption"/"Some interruption" in each
property's documentation; the schema is the machine-readable form of it:
https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html#schema-properties-createonlyproperties).
Custom resources have no schema: CloudFormation updates them in place and the function decides
(answering a new physical ID replaces).
"""

from __future__ import annotations

import functools
from typing import Any, Literal

Replacement = Literal["True", "False", "Conditional"]


def _is_custom(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


@functools.cache
def schema(resource_type: str) -> dict[str, Any]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    return dict(PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema)


@functools.cache
def create_only(resource_type: str) -> frozenset[str]:
    """The top-level properties whose change replaces the resource."""
    if _is_custom(resource_type):
        return frozenset()
    return frozenset(p.split("/")[2] for p in schema(resource_type).get("createOnlyProperties", []))


@functools.cache
def updatable(resource_type: str) -> frozenset[str]:
    """The top-level properties the schema lets an update change in place (neither create-only nor read-only)."""
    if _is_custom(resource_type):
        return frozenset()
    s = schema(resource_type)
    read_only = {p.split("/")[2] for p in s.get("readOnlyProperties", [])}
    return frozenset(set(s.get("properties", {})) - create_only(resource_type) - read_only)


def changed(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """The top-level properties whose value differs between two property sets."""
    return {k for k in set(old) | set(new) if old.get(k) != new.get(k)}


def requires_replacement(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    return bool(changed(old, new) & create_only(resource_type))


def replacement(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> Replacement:
    """The change set's Replacement field for a change from `old` to `new` (values not known yet count as changed)."""
    return "True" if requires_replacement(resource_type, old, new) else "False"
