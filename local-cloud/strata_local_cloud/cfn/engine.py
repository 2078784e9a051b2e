"""CloudFormation's stack engine for the local cloud.

moto's own CloudFormation skips unknown types, answers change-set deploys without outputs and resolves
custom resources before they answer (../shared/design/local-cloud-notes.md), so the local cloud runs
this engine instead. It follows CloudFormation's documented behaviour: resources in dependency order,
rollback on failure, DeletionPolicy/UpdateReplacePolicy, replacement when a create-only property
changes, nested stacks and nested change sets, outputs and exports, stack events. Each resource is
created by a provider that calls the emulated service APIs, exactly as CloudFormation's resource
providers call AWS.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import random
import string
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import template as tpl
from .errors import AlreadyExists, ChangeSetNotFound, InsufficientCapabilities, ResourceFailure, ValidationError
from .providers import Provision, provider_for, requires_replacement

LOG = logging.getLogger("strata.cfn")
ACCOUNT = "123456789012"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def suffix(n: int = 12) -> str:
    return "".join(random.choices(string.ascii_uppercase + string.digits, k=n))


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


# Why CloudFormation takes a resource out of a stack (effective_policy decides what that means for it).
Why = Literal["remove", "replace", "rollback", "supersede"]


class StackFailure(Exception):
    pass


class Engine:
    def __init__(self, endpoint: Callable[[], str], dataplane: Any = None) -> None:
        self.endpoint = endpoint
        self.lock = threading.RLock()
        self.stacks: dict[str, Stack] = {}
        self.change_sets: dict[str, ChangeSet] = {}
        self.exports: dict[tuple[str, str], tuple[str, str]] = {}
        self.functions: dict[str, dict[str, Any]] = {}
        self.resolved: dict[tuple[str, str, str], str] = {}
        self.threads: list[threading.Thread] = []
        from ..lambda_runtime.invoker import Invoker

        self.invoker = Invoker(endpoint, dataplane=dataplane)

    def register_function(self, arn: str, name: str, props: dict[str, Any], region: str) -> None:
        with self.lock:
            self.functions[arn] = {"arn": arn, "name": name, "props": props, "region": region}

    def forget_function(self, arn: str) -> None:
        with self.lock:
            self.functions.pop(arn, None)

    # ------------------------------------------------------------ lookup
    def find(self, name_or_id: str, region: str, include_deleted: bool = False) -> Stack:
        with self.lock:
            if name_or_id in self.stacks:
                return self.stacks[name_or_id]
            live = [s for s in self.stacks.values() if s.name == name_or_id and s.region == region and s.status != "DELETE_COMPLETE"]
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
            if name_or_id in self.change_sets:
                return self.change_sets[name_or_id]
            if stack_name:
                stack = self.find(stack_name, region)
                for cs in self.change_sets.values():
                    if cs.name == name_or_id and cs.stack_id == stack.id:
                        return cs
        raise ChangeSetNotFound(f"ChangeSet [{name_or_id}] does not exist")

    # ------------------------------------------------------------ events
    def event(self, stack: Stack, logical_id: str, rtype: str, status: str, physical: str | None, reason: str | None = None,
              props: dict[str, Any] | None = None) -> None:
        with self.lock:
            stack.events.append({
                "StackId": stack.id, "EventId": str(uuid.uuid4()), "StackName": stack.name,
                "LogicalResourceId": logical_id, "PhysicalResourceId": physical or "", "ResourceType": rtype,
                "Timestamp": now(), "ResourceStatus": status, "ResourceStatusReason": reason,
                "ResourceProperties": json.dumps(props) if props is not None else None,
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

    # ------------------------------------------------------------ preparing a template
    def pseudo(self, stack_id: str, stack_name: str, region: str) -> dict[str, Any]:
        return {"AWS::AccountId": ACCOUNT, "AWS::Region": region, "AWS::StackId": stack_id, "AWS::StackName": stack_name,
                "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NotificationARNs": []}

    def prepare(self, stack_id: str, stack_name: str, region: str, request: Request, previous: dict[str, str]
                ) -> tuple[dict[str, Any], dict[str, str], tpl.Context]:
        raw = tpl.parse(request.body)
        params = tpl.resolve_parameters(raw, request.params, previous)
        values = self.resolve_ssm(raw, params, region)
        pseudo = self.pseudo(stack_id, stack_name, region)
        template = tpl.apply_transforms(raw, values, pseudo)
        ctx = tpl.Context(template=template, pseudo=pseudo,
                          params={k: tpl.parameter_value((template.get("Parameters") or {}).get(k, {}), v) for k, v in values.items()},
                          get_azs=lambda r: self.azs(r), import_value=lambda n: self.import_value(region, n))
        ctx.evaluate_conditions()
        tpl.check_rules(ctx)
        self.check_capabilities(template, request.capabilities)
        for logical_id, res in template["Resources"].items():
            if not isinstance(res, dict) or "Type" not in res:
                raise ValidationError(f"Template format error: [/Resources/{logical_id}] Every Resources object must contain a Type member.")
            if res.get("Condition") and res["Condition"] not in ctx.conditions:
                raise ValidationError(f"Template format error: Unresolved dependencies [{res['Condition']}] in the Conditions block (resource {logical_id})")
        return template, params, ctx

    def resolve_ssm(self, template: dict[str, Any], params: dict[str, str], region: str) -> dict[str, str]:
        """Parameters of type AWS::SSM::Parameter::Value<...> hold a parameter name; the stack sees its value."""
        out = dict(params)
        for key, spec in (template.get("Parameters") or {}).items():
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value<") and key in out:
                try:
                    value = Provision(self, None, region).client("ssm").get_parameter(Name=out[key])["Parameter"]["Value"]
                except Exception as error:
                    raise ValidationError(f"Parameters [{key}] referenced by template have types not supported by CloudFormation "
                                          f"or the SSM parameter {out[key]} cannot be read: {error}") from error
                self.resolved[(region, key, out[key])] = value
                out[key] = value
        return out

    def check_capabilities(self, template: dict[str, Any], capabilities: list[str]) -> None:
        iam = [(k, r) for k, r in template["Resources"].items() if str(r.get("Type", "")).startswith("AWS::IAM::")]
        named = [k for k, r in iam if any(n in (r.get("Properties") or {}) for n in ("RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName"))]
        if named and "CAPABILITY_NAMED_IAM" not in capabilities:
            raise InsufficientCapabilities(f"Requires capabilities : [CAPABILITY_NAMED_IAM] (named IAM resources: {named})")
        if iam and not {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(capabilities):
            raise InsufficientCapabilities("Requires capabilities : [CAPABILITY_IAM]")

    def azs(self, region: str) -> list[str]:
        client = Provision(self, None, region).client("ec2")
        zones = client.describe_availability_zones()["AvailabilityZones"]
        return sorted(z["ZoneName"] for z in zones if z.get("State") == "available")

    def import_value(self, region: str, name: str) -> str:
        with self.lock:
            if (region, name) not in self.exports:
                raise ResourceFailure(f"No export named {name} found")
            return self.exports[(region, name)][1]

    def active(self, template: dict[str, Any], ctx: tpl.Context) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in template["Resources"].items() if ctx.condition(r.get("Condition"))}

    def bind(self, stack: Stack, ctx: tpl.Context, pending: set[str] | None = None) -> None:
        """Ref/GetAtt read this stack's resources; those in `pending` are not known yet."""

        def resource(logical_id: str) -> tuple[Any, Callable[[str], Any]]:
            res = stack.resources.get(logical_id)
            if res is None or (pending is not None and logical_id in pending) or res.physical_id is None:
                return tpl.Unknown(logical_id), lambda a: tpl.Unknown(f"{logical_id}.{a}")

            def attr(name: str) -> Any:
                if name not in res.attrs:
                    raise ResourceFailure(f"Fn::GetAtt: resource {logical_id} ({res.type}) has no attribute {name} in the local cloud")
                return res.attrs[name]

            return res.physical_id, attr

        ctx.resource = resource

    def policy(self, res: dict[str, Any], key: str) -> str:
        value = res.get(key, "Delete")
        if not isinstance(value, str):
            raise ValidationError(f"{key} must be a string after transforms, got {value!r}")
        return value

    # ------------------------------------------------------------ API: stacks
    def create_stack(self, region: str, name: str, request: Request) -> str:
        if self.find_live(name, region):
            raise AlreadyExists(f"Stack [{name}] already exists")
        stack_id = f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{name}/{uuid.uuid4()}"
        template, params, ctx = self.prepare(stack_id, name, region, request, {})
        stack = Stack(id=stack_id, name=name, region=region, status="CREATE_IN_PROGRESS", body=request.body, template=template,
                      params=params, tags=request.tags, capabilities=request.capabilities, disable_rollback=request.disable_rollback,
                      description=template.get("Description"), notification_arns=request.notification_arns)
        stack.root_id = stack_id
        with self.lock:
            self.stacks[stack_id] = stack
        self.background(lambda: self.run_create(stack, ctx))
        return stack_id

    def update_stack(self, region: str, name: str, request: Request) -> str:
        stack = self.find(name, region)
        self.check_updatable(stack)
        template, params, ctx = self.prepare(stack.id, stack.name, region, request, stack.params)
        if template == stack.template and params == stack.params and request.tags == stack.tags:
            raise ValidationError("No updates are to be performed.")
        self.background(lambda: self.run_update(stack, request, template, params, ctx))
        return stack.id

    def check_updatable(self, stack: Stack) -> None:
        if stack.status.endswith("_IN_PROGRESS") and stack.status != "REVIEW_IN_PROGRESS":
            raise ValidationError(f"Stack:{stack.id} is in {stack.status} state and can not be updated.")
        if stack.status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED", "CREATE_FAILED"):
            raise ValidationError(f"Stack:{stack.id} is in {stack.status} state and can not be updated.")

    def delete_stack(self, region: str, name: str) -> None:
        try:
            stack = self.find(name, region)
        except ValidationError:
            return  # DeleteStack on a stack that does not exist succeeds, as in AWS
        if stack.status in ("DELETE_COMPLETE", "DELETE_IN_PROGRESS"):
            return
        if stack.termination_protection:
            raise ValidationError(f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled")
        if stack.parent_id:
            raise ValidationError(f"Stack [{stack.name}] is a nested stack: delete or update its root stack instead")
        self.background(lambda: self.run_delete(stack))

    def background(self, fn: Callable[[], None]) -> None:
        thread = threading.Thread(target=self._guard(fn), daemon=True)
        self.threads.append(thread)
        thread.start()

    def _guard(self, fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except Exception:  # noqa: BLE001 - an engine bug must not kill the server silently
                LOG.error("stack operation crashed:\n%s", traceback.format_exc())
        return run

    # ------------------------------------------------------------ create
    def run_create(self, stack: Stack, ctx: tpl.Context) -> bool:
        self.set_stack_status(stack, "CREATE_IN_PROGRESS", "User Initiated" if not stack.parent_id else None)
        resources = self.active(stack.template, ctx)
        try:
            order = tpl.creation_order(resources)
            for logical_id in order:
                self.create_resource(stack, ctx, logical_id, resources[logical_id])
            self.finish_outputs(stack, ctx)
        except (ResourceFailure, ValidationError, StackFailure) as error:
            return self.fail_create(stack, str(error))
        self.set_stack_status(stack, "CREATE_COMPLETE")
        return True

    def fail_create(self, stack: Stack, reason: str) -> bool:
        stack.failure = reason
        if stack.disable_rollback:
            self.set_stack_status(stack, "CREATE_FAILED", reason)
            return False
        self.set_stack_status(stack, "ROLLBACK_IN_PROGRESS", reason)
        ok = self.delete_all(stack, rollback=True)
        self.set_stack_status(stack, "ROLLBACK_COMPLETE" if ok else "ROLLBACK_FAILED")
        return False

    def create_resource(self, stack: Stack, ctx: tpl.Context, logical_id: str, spec: dict[str, Any]) -> Resource:
        res = Resource(logical_id=logical_id, type=spec["Type"], deletion_policy=self.policy(spec, "DeletionPolicy"),
                       update_replace_policy=self.policy(spec, "UpdateReplacePolicy"))
        with self.lock:
            stack.resources[logical_id] = res
        self.bind(stack, ctx)
        try:
            res.props = ctx.resolve(spec.get("Properties", {}) or {})
            self.set_resource_status(stack, res, "CREATE_IN_PROGRESS")
            provider = provider_for(res.type)
            p = Provision(self, stack, stack.region, logical_id)
            physical, attrs = provider.create(p, logical_id, res.props)
        except (ResourceFailure, ValidationError) as error:
            with self.lock:
                # What exists is deleted on rollback: a failed custom resource is sent Delete, a half-made resource removed.
                res.physical_id = getattr(error, "physical", None) or (p.physical if "p" in locals() else None)
                res.attrs = p.attrs if "p" in locals() else {}
            self.set_resource_status(stack, res, "CREATE_FAILED", str(error))
            raise StackFailure(f"The following resource(s) failed to create: [{logical_id}]. {error}") from error
        except Exception as error:
            with self.lock:
                res.physical_id = p.physical if "p" in locals() else None
                res.attrs = p.attrs if "p" in locals() else {}
            self.set_resource_status(stack, res, "CREATE_FAILED", _describe(error))
            raise StackFailure(f"The following resource(s) failed to create: [{logical_id}]. {_describe(error)}") from error
        with self.lock:
            res.physical_id, res.attrs = physical, attrs
        self.set_resource_status(stack, res, "CREATE_COMPLETE")
        return res

    def finish_outputs(self, stack: Stack, ctx: tpl.Context) -> None:
        self.bind(stack, ctx)
        outputs = []
        for key, spec in (stack.template.get("Outputs") or {}).items():
            if not ctx.condition(spec.get("Condition")):
                continue
            value = ctx.resolve(spec["Value"])
            out = {"OutputKey": key, "OutputValue": ",".join(value) if isinstance(value, list) else str(value)}
            if spec.get("Description"):
                out["Description"] = spec["Description"]
            if spec.get("Export"):
                out["ExportName"] = str(ctx.resolve(spec["Export"]["Name"]))
            outputs.append(out)
        with self.lock:
            for out in outputs:
                if "ExportName" in out:
                    holder = self.exports.get((stack.region, out["ExportName"]))
                    if holder and holder[0] != stack.id:
                        raise StackFailure(f"Export with name {out['ExportName']} is already exported by stack {holder[0]}")
            for k in [k for k, v in self.exports.items() if v[0] == stack.id]:
                del self.exports[k]
            for out in outputs:
                if "ExportName" in out:
                    self.exports[(stack.region, out["ExportName"])] = (stack.id, out["OutputValue"])
            stack.outputs = outputs

    # ------------------------------------------------------------ update
    def run_update(self, stack: Stack, request: Request, template: dict[str, Any], params: dict[str, str], ctx: tpl.Context) -> bool:
        old = Stack(**{**stack.__dict__, "resources": dict(stack.resources)})
        old_resources = {k: copy.copy(v) for k, v in stack.resources.items()}
        with self.lock:
            stack.template, stack.params, stack.body, stack.tags = template, params, request.body, request.tags
            stack.capabilities, stack.updated = request.capabilities, now()
            stack.description = template.get("Description")
        self.set_stack_status(stack, "UPDATE_IN_PROGRESS", "User Initiated" if not stack.parent_id else None)
        resources = self.active(template, ctx)
        created: list[str] = []
        updated: list[str] = []
        replaced: dict[str, Resource] = {}
        superseded: list[Resource] = []
        try:
            order = tpl.creation_order(resources)
            for logical_id in order:
                spec = resources[logical_id]
                current = stack.resources.get(logical_id)
                if current is None or current.physical_id is None:
                    self.create_resource(stack, ctx, logical_id, spec)
                    created.append(logical_id)
                    continue
                self.bind(stack, ctx)
                props = ctx.resolve(spec.get("Properties", {}) or {})
                current.deletion_policy = self.policy(spec, "DeletionPolicy")
                current.update_replace_policy = self.policy(spec, "UpdateReplacePolicy")
                if current.type == spec["Type"] and _same(props, current.props):
                    continue
                provider = provider_for(spec["Type"])
                if current.type != spec["Type"] or requires_replacement(spec["Type"], current.props, props):
                    replaced[logical_id] = copy.copy(current)
                    with self.lock:
                        del stack.resources[logical_id]
                    self.create_resource(stack, ctx, logical_id, spec)
                    continue
                updated.append(logical_id)
                before = copy.copy(current)
                self.update_resource(stack, current, provider, props)
                if current.physical_id != before.physical_id:
                    superseded.append(before)  # a custom resource answered with a new ID: the old one is deleted in cleanup
            self.finish_outputs(stack, ctx)
        except (ResourceFailure, ValidationError, StackFailure) as error:
            self.rollback_update(stack, old, old_resources, created, updated, replaced, str(error))
            return False
        self.set_stack_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        removed = [k for k in old_resources if k not in resources]
        for logical_id in reversed(tpl.creation_order({k: old.template["Resources"][k] for k in removed if k in old.template["Resources"]})):
            self.delete_resource(stack, old_resources[logical_id], why="remove", forget=True)
        for logical_id, previous in replaced.items():
            self.delete_resource(stack, previous, why="replace", forget=False)
        for previous in superseded:
            self.delete_resource(stack, previous, why="supersede", forget=False)
        self.set_stack_status(stack, "UPDATE_COMPLETE")
        return True

    def update_resource(self, stack: Stack, res: Resource, provider: Any, props: dict[str, Any]) -> None:
        self.set_resource_status(stack, res, "UPDATE_IN_PROGRESS")
        try:
            result = provider.update(Provision(self, stack, stack.region, res.logical_id), res.physical_id, res.props, props, res.attrs)
        except (ResourceFailure, ValidationError) as error:
            self.set_resource_status(stack, res, "UPDATE_FAILED", str(error))
            raise StackFailure(f"The following resource(s) failed to update: [{res.logical_id}]. {error}") from error
        except Exception as error:
            self.set_resource_status(stack, res, "UPDATE_FAILED", _describe(error))
            raise StackFailure(f"The following resource(s) failed to update: [{res.logical_id}]. {_describe(error)}") from error
        physical, attrs = result
        with self.lock:
            res.props = props
            res.physical_id, res.attrs = physical or res.physical_id, attrs
        self.set_resource_status(stack, res, "UPDATE_COMPLETE")

    def rollback_update(self, stack: Stack, old: Stack, old_resources: dict[str, Resource], created: list[str], updated: list[str],
                        replaced: dict[str, Resource], reason: str) -> None:
        stack.failure = reason
        self.set_stack_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        ok = True
        for logical_id in updated:
            res, before = stack.resources[logical_id], old_resources[logical_id]
            if res.status in ("UPDATE_COMPLETE", "UPDATE_FAILED"):
                try:
                    self.update_resource(stack, res, provider_for(res.type), before.props)
                except StackFailure:
                    ok = False
        for logical_id in reversed(created + list(replaced)):
            res = stack.resources.get(logical_id)
            if res is not None and res.physical_id is not None:
                ok &= self.delete_resource(stack, res, why="rollback", forget=True)
            elif res is not None:
                with self.lock:
                    del stack.resources[logical_id]
        with self.lock:
            for logical_id, previous in replaced.items():
                stack.resources[logical_id] = previous
            stack.template, stack.params, stack.body, stack.tags = old.template, old.params, old.body, old.tags
            stack.outputs = old.outputs
        self.set_stack_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        self.set_stack_status(stack, "UPDATE_ROLLBACK_COMPLETE" if ok else "UPDATE_ROLLBACK_FAILED")

    # ------------------------------------------------------------ delete
    def run_delete(self, stack: Stack, rollback: bool = False) -> bool:
        """rollback: the stack is a nested stack deleted by the rollback of the operation that created it, so its
        resources were created by that operation too (DeletionPolicy RetainExceptOnCreate then deletes them)."""
        self.set_stack_status(stack, "DELETE_IN_PROGRESS", "User Initiated" if not stack.parent_id else None)
        ok = self.delete_all(stack, rollback=rollback)
        if not ok:
            failed = {k: r.reason for k, r in stack.resources.items() if r.status == "DELETE_FAILED"}
            stack.failure = f"The following resource(s) failed to delete: [{', '.join(sorted(failed))}]. " + " ".join(
                f"{k}: {v}" for k, v in sorted(failed.items()))
            self.set_stack_status(stack, "DELETE_FAILED", stack.failure)
            return False
        with self.lock:
            for k in [k for k, v in self.exports.items() if v[0] == stack.id]:
                del self.exports[k]
            stack.deleted = now()
        self.set_stack_status(stack, "DELETE_COMPLETE")
        return True

    def delete_all(self, stack: Stack, rollback: bool) -> bool:
        """Reverse dependency order; as in CloudFormation, what a resource that failed to delete depends on stays."""
        specs = {k: stack.template["Resources"][k] for k in stack.resources if k in stack.template.get("Resources", {})}
        try:
            order = list(reversed(tpl.creation_order(specs)))
            needed_by: dict[str, set[str]] = {k: set() for k in specs}
            for k, deps in tpl.dependencies(specs).items():
                for d in deps:
                    needed_by.setdefault(d, set()).add(k)
        except ValidationError:
            order, needed_by = list(reversed(list(stack.resources))), {}
        order += [k for k in reversed(list(stack.resources)) if k not in order]
        ok = True
        kept: set[str] = set()
        for logical_id in order:
            res = stack.resources.get(logical_id)
            if res is None or res.status == "DELETE_COMPLETE":
                continue
            if needed_by.get(logical_id, set()) & kept:
                kept.add(logical_id)  # a dependant is still there: deleting this would break it
                continue
            if res.physical_id is None:
                self.set_resource_status(stack, res, "DELETE_COMPLETE")
                continue
            deleted = self.delete_resource(stack, res, why="rollback" if rollback else "remove", forget=False)
            if not deleted:
                kept.add(logical_id)
            ok &= deleted
        return ok

    def delete_resource(self, stack: Stack, res: Resource, why: Why, forget: bool) -> bool:
        policy = effective_policy(res, why)
        if policy == "Retain":
            self.set_resource_status(stack, res, "DELETE_SKIPPED")
        else:
            self.set_resource_status(stack, res, "DELETE_IN_PROGRESS")
            provider = provider_for(res.type)
            try:
                p = Provision(self, stack, stack.region, res.logical_id)
                p.rolling_back = why == "rollback"
                if policy == "Snapshot":
                    provider.delete_with_snapshot(p, res.physical_id, res.props, res.attrs)
                else:
                    provider.delete(p, res.physical_id, res.props, res.attrs)
            except Exception as error:  # noqa: BLE001 - every failure becomes DELETE_FAILED with its reason
                self.set_resource_status(stack, res, "DELETE_FAILED", _describe(error))
                return False
            self.set_resource_status(stack, res, "DELETE_COMPLETE")
        if forget:
            with self.lock:
                if stack.resources.get(res.logical_id) is res:
                    del stack.resources[res.logical_id]
        return True

    # ------------------------------------------------------------ nested stacks (called by the provider)
    def create_nested(self, parent: Stack, logical_id: str, body: str, params: dict[str, str]) -> Stack:
        name = f"{parent.name}-{logical_id}-{suffix()}"[:128]
        stack_id = f"arn:aws:cloudformation:{parent.region}:{ACCOUNT}:stack/{name}/{uuid.uuid4()}"
        request = Request(body=body, params=dict(params), tags=parent.tags, capabilities=parent.capabilities,
                          disable_rollback=parent.disable_rollback)
        template, resolved, ctx = self.prepare(stack_id, name, parent.region, request, {})
        stack = Stack(id=stack_id, name=name, region=parent.region, status="CREATE_IN_PROGRESS", body=body, template=template,
                      params=resolved, tags=parent.tags, capabilities=parent.capabilities, parent_id=parent.id,
                      root_id=parent.root_id or parent.id, disable_rollback=parent.disable_rollback, description=template.get("Description"))
        with self.lock:
            self.stacks[stack_id] = stack
        if not self.run_create(stack, ctx):
            raise ResourceFailure(f"Embedded stack {stack_id} was not successfully created: {stack.failure or stack.status}")
        return stack

    def update_nested(self, stack: Stack, body: str, params: dict[str, str], tags: list[dict[str, str]]) -> None:
        request = Request(body=body, params=dict(params), tags=tags, capabilities=stack.capabilities)
        template, resolved, ctx = self.prepare(stack.id, stack.name, stack.region, request, stack.params)
        if not self.run_update(stack, request, template, resolved, ctx):
            raise ResourceFailure(f"Embedded stack {stack.id} was not successfully updated: {stack.failure or stack.status}")

    def delete_nested(self, stack_id: str, rollback: bool = False) -> None:
        stack = self.stacks.get(stack_id)
        if stack is None or stack.status == "DELETE_COMPLETE":
            return
        if not self.run_delete(stack, rollback=rollback):
            raise ResourceFailure(f"Embedded stack {stack_id} was not successfully deleted: {stack.failure}")

    # ------------------------------------------------------------ change sets
    def create_change_set(self, region: str, stack_name: str, name: str, kind: str, request: Request, include_nested: bool,
                          description: str | None) -> ChangeSet:
        existing = self.find_live(stack_name, region)
        if kind == "CREATE":
            if existing and existing.status != "REVIEW_IN_PROGRESS":
                raise AlreadyExists(f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{name}].")
        elif existing is None or existing.status == "REVIEW_IN_PROGRESS":
            raise ValidationError(f"Stack [{stack_name}] does not exist")
        else:
            self.check_updatable(existing)
        stack_id = existing.id if existing else f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack_name}/{uuid.uuid4()}"
        probe = existing or Stack(id=stack_id, name=stack_name, region=region, status="REVIEW_IN_PROGRESS")
        with self.lock:
            if any(c.name == name and c.stack_id == stack_id for c in self.change_sets.values()):
                raise AlreadyExists(f"ChangeSet [{name}] already exists")
        template, params, ctx = self.prepare(stack_id, stack_name, region, request, probe.params)
        cs_id = f"arn:aws:cloudformation:{region}:{ACCOUNT}:changeSet/{name}/{uuid.uuid4()}"
        cs = ChangeSet(id=cs_id, name=name, stack_id=stack_id, stack_name=stack_name, kind=kind, request=request, params=params,
                       include_nested=include_nested, description=description, root_id=None)
        cs.changes = self.diff(probe, template, ctx, cs if include_nested else None)
        if not cs.changes and existing is not None and request.tags == existing.tags and params == existing.params:
            cs.status, cs.execution_status = "FAILED", "UNAVAILABLE"
            cs.reason = "The submitted information didn't contain changes. Submit different information to create a change set."
        with self.lock:
            if existing is None:
                probe.created = now()
                self.stacks[stack_id] = probe
                probe.root_id = stack_id
            self.change_sets[cs_id] = cs
        if existing is None:
            self.set_stack_status(probe, "REVIEW_IN_PROGRESS", "User Initiated")
        return cs

    def diff(self, stack: Stack, template: dict[str, Any], ctx: tpl.Context, parent_cs: ChangeSet | None) -> list[dict[str, Any]]:
        resources = self.active(template, ctx)
        order = tpl.creation_order(resources)
        pending: set[str] = set()
        changes: list[dict[str, Any]] = []
        self.bind(stack, ctx, pending)
        for logical_id in order:
            spec = resources[logical_id]
            current = stack.resources.get(logical_id)
            change: dict[str, Any] = {"LogicalResourceId": logical_id, "ResourceType": spec["Type"]}
            if current is None or current.physical_id is None:
                pending.add(logical_id)
                change.update(Action="Add")
                changes.append(change)
                continue
            props = ctx.resolve(spec.get("Properties", {}) or {})
            if current.type == spec["Type"] and _same(props, current.props):
                continue
            names = sorted({k for k in set(props) | set(current.props) if not _same(props.get(k), current.props.get(k))})
            dynamic = [k for k in names if _has_unknown(props.get(k))]
            replacement = "True" if current.type != spec["Type"] else requires_replacement(spec["Type"], current.props, props, detail=True)
            if replacement in ("True", "Conditional") or dynamic:
                pending.add(logical_id)
            change.update(
                Action="Modify", PhysicalResourceId=current.physical_id, Replacement=replacement,
                Scope=["Properties"] if names != ["Tags"] else ["Tags"],
                Details=[{"Target": {"Attribute": "Properties", "Name": k,
                                     "RequiresRecreation": {"True": "Always", "Conditional": "Conditionally"}.get(
                                         requires_replacement(spec["Type"], {k: current.props.get(k)}, {k: props.get(k)}, detail=True), "Never")},
                          "Evaluation": "Dynamic" if k in dynamic else "Static",
                          "ChangeSource": "ResourceAttribute" if k in dynamic else "DirectModification"} for k in names],
            )
            if parent_cs is not None and spec["Type"] == "AWS::CloudFormation::Stack" and not _has_unknown(props):
                child = self.stacks.get(current.physical_id)
                if child is not None:
                    change["ChangeSetId"] = self.nested_change_set(parent_cs, child, props)
            changes.append(change)
        for logical_id, current in stack.resources.items():
            if logical_id not in resources:
                changes.append({"LogicalResourceId": logical_id, "ResourceType": current.type, "Action": "Remove",
                                "PhysicalResourceId": current.physical_id, "PolicyAction": effective_policy(current, "remove")})
        return [{"Type": "Resource", "ResourceChange": c} for c in changes]

    def nested_change_set(self, parent: ChangeSet, child: Stack, props: dict[str, Any]) -> str:
        from .providers.cloudformation import read_template_url

        body = read_template_url(Provision(self, child, child.region), props["TemplateURL"])
        request = Request(body=body, params={k: str(v) for k, v in (props.get("Parameters") or {}).items()}, tags=child.tags,
                          capabilities=child.capabilities)
        template, params, ctx = self.prepare(child.id, child.name, child.region, request, child.params)
        name = f"{parent.name}-{child.name}"[:128]
        cs = ChangeSet(id=f"arn:aws:cloudformation:{child.region}:{ACCOUNT}:changeSet/{name}/{uuid.uuid4()}", name=name,
                       stack_id=child.id, stack_name=child.name, kind="UPDATE", request=request, params=params,
                       parent_id=parent.id, root_id=parent.root_id or parent.id, include_nested=True)
        cs.changes = self.diff(child, template, ctx, cs)
        with self.lock:
            self.change_sets[cs.id] = cs
        return cs.id

    def execute_change_set(self, cs: ChangeSet, disable_rollback: bool | None) -> None:
        if cs.parent_id:
            raise ValidationError("A nested change set cannot be executed on its own: execute its root change set")
        if cs.execution_status != "AVAILABLE":
            raise ValidationError(f"ChangeSet [{cs.id}] cannot be executed in its current status of [{cs.status}] / execution status [{cs.execution_status}]")
        stack = self.stacks[cs.stack_id]
        if disable_rollback is not None:
            cs.request.disable_rollback = disable_rollback
        template, params, ctx = self.prepare(stack.id, stack.name, stack.region, cs.request, stack.params)
        with self.lock:
            cs.execution_status = "EXECUTE_IN_PROGRESS"
            # As in AWS: executing a change set removes every change set of the stack (nested ones included).
            nested = {c.id for c in self.change_sets.values() if c.root_id == cs.id}
            for key in [k for k, c in self.change_sets.items() if c.stack_id == stack.id or k in nested]:
                del self.change_sets[key]
            stack.change_set_id = cs.id

        def run() -> None:
            if cs.kind == "CREATE":
                with self.lock:
                    stack.template, stack.params, stack.body, stack.tags = template, params, cs.request.body, cs.request.tags
                    stack.capabilities, stack.disable_rollback = cs.request.capabilities, cs.request.disable_rollback
                    stack.description = template.get("Description")
                ok = self.run_create(stack, ctx)
            else:
                ok = self.run_update(stack, cs.request, template, params, ctx)
            cs.execution_status = "EXECUTE_COMPLETE" if ok else "EXECUTE_FAILED"

        self.background(run)


def effective_policy(res: Resource, why: Why) -> str:
    """What CloudFormation does with a resource it takes out of a stack: Delete, Retain or Snapshot.

    `why` is the operation: "remove" (stack delete, or a resource left out of an update's template),
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


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _has_unknown(v: Any) -> bool:
    if isinstance(v, tpl.Unknown):
        return True
    if isinstance(v, dict):
        return any(_has_unknown(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_unknown(x) for x in v)
    return False


def _describe(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{err.get('Message') or err.get('Code')} (Service error code: {err.get('Code')}; Status Code: {status})"
    return str(error) or type(error).__name__
