"""The plan of a stack operation: what changes, resource by resource, as CloudFormation's change sets say it.

`plan(stack, resources, ctx)` compares the stack's resources with a new template's and answers one Change
per resource that is added, modified or removed; a Modify says whether it replaces (True, False, or
Conditional when a value it depends on is not known before execution) and, per property, whether the
change recreates the resource and whether it is known now (Static) or only at execution (Dynamic). The
same plan backs DescribeChangeSet and the executor of UpdateStack/ExecuteChangeSet.
Source: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ResourceChange.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import template as tpl
from .errors import ResourceFailure
from .replacement import Replacement, replacement
from .store import Resource, Stack

Action = Literal["Add", "Modify", "Remove"]


@dataclass
class Detail:
    name: str
    recreation: Literal["Always", "Never", "Conditionally"]
    dynamic: bool


@dataclass
class Change:
    action: Action
    logical_id: str
    type: str
    physical_id: str | None = None
    replacement: Replacement = "False"
    details: list[Detail] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)  # the new properties as far as known now (Unknown where not)
    policy_action: str | None = None  # Remove: what DeletionPolicy does with it (Delete, Retain, Snapshot)
    nested_change_set: str | None = None

    def view(self) -> dict[str, Any]:
        """The ResourceChange shape of DescribeChangeSet."""
        change: dict[str, Any] = {"LogicalResourceId": self.logical_id, "ResourceType": self.type, "Action": self.action}
        if self.physical_id is not None:
            change["PhysicalResourceId"] = self.physical_id
        if self.action == "Remove" and self.policy_action:
            change["PolicyAction"] = self.policy_action
        if self.action == "Modify":
            names = [d.name for d in self.details]
            change.update(Replacement=self.replacement, Scope=["Tags"] if names == ["Tags"] else ["Properties"],
                          Details=[{"Target": {"Attribute": "Properties", "Name": d.name, "RequiresRecreation": d.recreation},
                                    "Evaluation": "Dynamic" if d.dynamic else "Static",
                                    "ChangeSource": "ResourceAttribute" if d.dynamic else "DirectModification"} for d in self.details])
        if self.nested_change_set:
            change["ChangeSetId"] = self.nested_change_set
        return {"Type": "Resource", "ResourceChange": change}


def bind(stack: Stack, ctx: tpl.Context, pending: set[str] | None = None) -> None:
    """Ref/GetAtt read this stack's resources; those in `pending` (added or replaced by the plan) are not known yet."""

    def resource(logical_id: str) -> tuple[Any, Callable[[str], Any]]:
        res = stack.resources.get(logical_id)
        if res is None or (pending is not None and logical_id in pending) or res.physical_id is None:
            return tpl.Unknown(logical_id), lambda a: tpl.Unknown(f"{logical_id}.{a}")
        current: Resource = res

        def attr(name: str) -> Any:
            if name not in current.attrs:
                raise ResourceFailure(f"Fn::GetAtt: resource {logical_id} ({current.type}) has no attribute {name} in the local cloud")
            return current.attrs[name]

        return current.physical_id, attr

    ctx.resource = resource


def same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def has_unknown(v: Any) -> bool:
    if isinstance(v, tpl.Unknown):
        return True
    if isinstance(v, dict):
        return any(has_unknown(x) for x in v.values())
    if isinstance(v, list):
        return any(has_unknown(x) for x in v)
    return False


def plan(stack: Stack, resources: dict[str, dict[str, Any]], ctx: tpl.Context,
         remove_policy: Callable[[Resource], str]) -> list[Change]:
    """The changes that take `stack` to `resources` (the new template's active resources, conditions applied)."""
    pending: set[str] = set()
    changes: list[Change] = []
    bind(stack, ctx, pending)
    for logical_id in tpl.creation_order(resources):
        spec = resources[logical_id]
        current = stack.resources.get(logical_id)
        if current is None or current.physical_id is None or current.status == "DELETE_COMPLETE":
            pending.add(logical_id)
            changes.append(Change("Add", logical_id, spec["Type"], props=ctx.resolve(spec.get("Properties", {}) or {})))
            continue
        props = ctx.resolve(spec.get("Properties", {}) or {})
        if current.type == spec["Type"] and same(props, current.props):
            continue
        names = sorted({k for k in set(props) | set(current.props) if not same(props.get(k), current.props.get(k))})
        dynamic = {k for k in names if has_unknown(props.get(k))}
        if current.type != spec["Type"]:
            replace: Replacement = "True"
        else:
            static = {k: v for k, v in props.items() if k not in dynamic}
            replace = replacement(spec["Type"], {k: v for k, v in current.props.items() if k not in dynamic}, static)
            if replace == "False" and dynamic and replacement(spec["Type"], current.props, props) == "True":
                replace = "Conditional"  # a value known only at execution may change a create-only property
        if replace != "False" or dynamic:
            pending.add(logical_id)
        details = []
        for k in names:
            recreate = replacement(spec["Type"], {k: current.props.get(k)}, {k: props.get(k)})
            details.append(Detail(k, "Conditionally" if recreate == "True" and k in dynamic else "Always" if recreate == "True" else "Never",
                                  k in dynamic))
        changes.append(Change("Modify", logical_id, spec["Type"], current.physical_id, replace, details, props))
    for logical_id, current in stack.resources.items():
        if logical_id not in resources and current.status != "DELETE_COMPLETE":
            changes.append(Change("Remove", logical_id, current.type, current.physical_id, policy_action=remove_policy(current)))
    return changes
