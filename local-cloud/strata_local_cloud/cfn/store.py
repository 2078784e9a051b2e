"""The engine's state: stacks, change sets, exports and events, behind one lock.

Every check-then-act CloudFormation makes atomic is one method here, under the lock: claiming a stack
name (a second CreateStack of a live name is refused with AlreadyExistsException), and starting an
operation on a stack (only one at a time: "Stack:<id> is in UPDATE_IN_PROGRESS state and can not be
updated.", the ValidationError CloudFormation answers;
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from .context import current_account
from .errors import AlreadyExists, ChangeSetNotFound, ValidationError


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Resource:
    logical_id: str
    type: str
    physical_id: str | None = None
    props: dict[str, Any] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)
    status: str = "CREATE_IN_PROGRESS"
    reason: str | None = None
    updated: dt.datetime = field(default_factory=now)
    deletion_policy: str = "Delete"
    update_replace_policy: str = "Delete"


@dataclass
class Request:
    """What a CreateStack/UpdateStack/CreateChangeSet asked for."""

    body: str
    params: dict[str, str | None]
    tags: list[dict[str, str]]
    capabilities: list[str]
    disable_rollback: bool = False
    notification_arns: list[str] = field(default_factory=list)
    description: str | None = None
    disable_validation: bool = False  # DisableValidation: skip pre-deployment validation


@dataclass
class Stack:
    id: str
    name: str
    region: str
    status: str
    created: dt.datetime = field(default_factory=now)
    updated: dt.datetime | None = None
    deleted: dt.datetime | None = None
    reason: str | None = None
    body: str = ""
    template: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    outputs: list[dict[str, str]] = field(default_factory=list)
    resources: dict[str, Resource] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    parent_id: str | None = None
    root_id: str | None = None
    disable_rollback: bool = False
    termination_protection: bool = False
    description: str | None = None
    change_set_id: str | None = None
    notification_arns: list[str] = field(default_factory=list)
    failure: str | None = None  # why the last operation failed, kept through the rollback
    delete_requested: bool = False  # DeleteStack during CREATE_IN_PROGRESS: the create stops starting resources


@dataclass
class ChangeSet:
    id: str
    name: str
    stack_id: str
    stack_name: str
    kind: str
    request: Request
    created: dt.datetime = field(default_factory=now)
    status: str = "CREATE_COMPLETE"
    execution_status: str = "AVAILABLE"
    reason: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    parent_id: str | None = None
    root_id: str | None = None
    include_nested: bool = False
    description: str | None = None
    validation_events: list[dict[str, Any]] = field(default_factory=list)  # pre-deployment validation's findings (DescribeEvents)


def stack_arn(region: str, name: str) -> str:
    return f"arn:aws:cloudformation:{region}:{current_account()}:stack/{name}/{uuid.uuid4()}"


def account_of(arn: str) -> str:
    return arn.split(":")[4]


# The statuses in which a stack takes a new update (UpdateStack, ExecuteChangeSet of an UPDATE change set).
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes
UPDATABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"})


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.stacks: dict[str, Stack] = {}
        self.change_sets: dict[str, ChangeSet] = {}
        self.exports: dict[tuple[str, str, str], tuple[str, str]] = {}  # (account, region, name) -> (stack ID, value)
        self.functions: dict[str, dict[str, Any]] = {}
        self.resolved: dict[tuple[str, str, str, str], str] = {}  # (account, region, parameter, SSM name) -> value

    # ------------------------------------------------------------ lookup (each account sees its own stacks only)
    def visible(self, region: str) -> list[Stack]:
        """The stacks of the acting account in `region`, deleted ones included (ListStacks shows them)."""
        account = current_account()
        with self.lock:
            return [s for s in self.stacks.values() if s.region == region and account_of(s.id) == account]

    def find(self, name_or_id: str, region: str) -> Stack:
        with self.lock:
            found = self.stacks.get(name_or_id)
            if found is not None and account_of(found.id) == current_account():
                return found
            live = [s for s in self.visible(region) if s.name == name_or_id and s.status != "DELETE_COMPLETE"]
            if live:
                return live[-1]
        raise ValidationError(f"Stack with id {name_or_id} does not exist")

    def find_live(self, name: str, region: str) -> Stack | None:
        try:
            stack = self.find(name, region)
        except ValidationError:
            return None
        return None if stack.status == "DELETE_COMPLETE" else stack

    def change_set(self, name_or_id: str, stack_name: str | None, region: str) -> ChangeSet:
        with self.lock:
            found = self.change_sets.get(name_or_id)
            if found is not None and account_of(found.id) == current_account():
                return found
            if stack_name:
                stack = self.find(stack_name, region)
                for cs in self.change_sets.values():
                    if cs.name == name_or_id and cs.stack_id == stack.id:
                        return cs
        raise ChangeSetNotFound(f"ChangeSet [{name_or_id}] does not exist")

    # ------------------------------------------------------------ atomic check-and-act
    def claim(self, region: str, name: str, status: str, adopt_review: bool = False) -> tuple[Stack, bool]:
        """Reserves a stack name: a new stack in `status`, or (adopt_review) the stack a CREATE change set left in
        REVIEW_IN_PROGRESS. Returns (stack, created). Refuses a live name, as CloudFormation does."""
        with self.lock:
            existing = self.find_live(name, region)
            if existing is not None:
                if adopt_review and existing.status == "REVIEW_IN_PROGRESS":
                    return existing, False
                raise AlreadyExists(f"Stack [{name}] already exists")
            stack = Stack(id=stack_arn(region, name), name=name, region=region, status=status)
            stack.root_id = stack.id
            self.stacks[stack.id] = stack
            return stack, True

    def release(self, stack: Stack) -> None:
        """Undo a claim whose request failed validation: CloudFormation creates no stack then."""
        with self.lock:
            if self.stacks.get(stack.id) is stack:
                del self.stacks[stack.id]

    def check(self, stack: Stack, allowed: frozenset[str]) -> None:
        """Refuses an operation on a stack that is not in one of the allowed states."""
        if stack.status not in allowed:
            raise ValidationError(f"Stack:{stack.id} is in {stack.status} state and can not be updated.")

    def begin(self, stack: Stack, status: str, allowed: frozenset[str]) -> None:
        """Starts an operation on the stack: the status moves to `status` only if the stack is in an allowed state."""
        with self.lock:
            self.check(stack, allowed)
            stack.status = status

    # ------------------------------------------------------------ events
    def event(self, stack: Stack, logical_id: str, rtype: str, status: str, physical: str | None, reason: str | None = None,
              props: dict[str, Any] | None = None, hook: dict[str, str] | None = None) -> None:
        """`hook`: HookType, HookStatus, HookStatusReason, HookInvocationPoint, HookFailureMode of a hook's event."""
        with self.lock:
            stack.events.append({
                "StackId": stack.id, "EventId": str(uuid.uuid4()), "StackName": stack.name,
                "LogicalResourceId": logical_id, "PhysicalResourceId": physical or "", "ResourceType": rtype,
                "Timestamp": now(), "ResourceStatus": status, "ResourceStatusReason": reason,
                "ResourceProperties": json.dumps(props) if props is not None else None, **(hook or {}),
            })

    def set_stack_status(self, stack: Stack, status: str, reason: str | None = None) -> None:
        with self.lock:
            stack.status, stack.reason = status, reason
        self.event(stack, stack.name, "AWS::CloudFormation::Stack", status, stack.id, reason)

    def set_resource_status(self, stack: Stack, res: Resource, status: str, reason: str | None = None) -> None:
        with self.lock:
            res.status, res.reason, res.updated = status, reason, now()
        self.event(stack, res.logical_id, res.type, status, res.physical_id, reason,
                   res.props if status.endswith("IN_PROGRESS") else None)

    # ------------------------------------------------------------ exports
    def import_value(self, region: str, name: str) -> str | None:
        with self.lock:
            held = self.exports.get((current_account(), region, name))
            return held[1] if held else None

    def publish_exports(self, stack: Stack, outputs: list[dict[str, str]]) -> str | None:
        """Replaces the stack's exports with those of `outputs`; returns the conflict, if another stack holds a name."""
        with self.lock:
            for out in outputs:
                if "ExportName" in out:
                    holder = self.exports.get((account_of(stack.id), stack.region, out["ExportName"]))
                    if holder and holder[0] != stack.id:
                        return f"Export with name {out['ExportName']} is already exported by stack {holder[0]}"
            self.drop_exports(stack)
            for out in outputs:
                if "ExportName" in out:
                    self.exports[(account_of(stack.id), stack.region, out["ExportName"])] = (stack.id, out["OutputValue"])
            stack.outputs = outputs
            return None

    def drop_exports(self, stack: Stack) -> None:
        with self.lock:
            for k in [k for k, v in self.exports.items() if v[0] == stack.id]:
                del self.exports[k]

    # ------------------------------------------------------------ the function registry (custom resources)
    def register_function(self, arn: str, name: str, props: dict[str, Any], region: str) -> None:
        with self.lock:
            self.functions[arn] = {"arn": arn, "name": name, "props": props, "region": region}

    def forget_function(self, arn: str) -> None:
        with self.lock:
            self.functions.pop(arn, None)

    def function(self, arn: str) -> dict[str, Any] | None:
        with self.lock:
            return self.functions.get(arn)
