"""CloudFormation's stack operations for the local cloud.

moto's own CloudFormation skips unknown types, answers change-set deploys without outputs and resolves
custom resources before they answer (local-cloud/README.md), so the local cloud runs this engine
instead. It is split the way CloudFormation reasons about an operation:
- store.py   the state (stacks, change sets, exports, events) behind one lock, and the atomic
             check-and-act steps (one operation per stack at a time, one live stack per name);
- plan.py    what an update changes (Add / Modify / Remove, replacement, per-property details), for
             DescribeChangeSet and for the executor alike;
- replacement.py  which changes replace a resource (the registry schemas' createOnlyProperties);
- executor.py     resource work over the dependency graph, in parallel where the graph allows;
- policy.py       DeletionPolicy / UpdateReplacePolicy;
- this module     the operations themselves (create, update, delete, change sets, nested stacks,
                  rollback), with the statuses and events CloudFormation reports.
Each resource is created by a provider (providers/) that calls the emulated service APIs, exactly as
CloudFormation's resource providers call AWS; providers see only the context in context.py.
"""

from __future__ import annotations

import contextvars
import copy
import logging
import random
import string
import threading
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from ..rules import ALL_TYPES, rule
from . import hooks as guard_hooks
from . import preflight
from . import template as tpl
from .context import Provision, Services, StackInfo, current_account
from .errors import AlreadyExists, InsufficientCapabilities, ResourceError, ResourceFailure, Unsupported, ValidationError
from .executor import Run, reverse, run_graph
from .plan import Change, bind, has_unknown, plan, same
from .policy import Why, effective_policy
from .providers import Tracked, provider_for
from .replacement import requires_replacement
from .stacksets import StackSets
from .store import UPDATABLE, ChangeSet, Request, Resource, Stack, Store, now, stack_arn
from .validation import is_known, is_validated, resource_reason, violations

UNRECOGNIZED_TYPE = rule("template-unrecognized-type", "schema", ALL_TYPES, "a resource type the registry does not know",
                         "CloudFormation's template validation: \"Template format error: Unrecognized resource types: [...]\"")
NO_OP_UPDATE = rule("no-op-update", "updates", ALL_TYPES, "an update or change set that changes nothing",
                    "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html; UpdateStack's "
                    "\"No updates are to be performed.\"")
CUSTOM_NAME_REPLACEMENT = rule(
    "custom-name-replacement", "updates", ALL_TYPES, "an update that replaces a resource while keeping its custom name",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html (\"If you specify a name, "
    "you cannot perform updates that require replacement of this resource\")")
SSM_PARAMETER_MISSING = rule(
    "ssm-parameter-type-missing", "service", ALL_TYPES,
    "a parameter of type AWS::SSM::Parameter::Value<...> naming a Systems Manager parameter that does not exist in the region",
    "CreateStack/CreateChangeSet ValidationError 'Unable to fetch parameters [<name>] from parameter store for this account.' "
    "(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#aws-ssm-parameter-types)")
UNSUPPORTED_TYPE = rule("loud-unsupported-type", "loud", ALL_TYPES, "a type the local cloud has no provider for: the create fails naming it",
                        "the local cloud's own rule (local-cloud/README.md): nothing is skipped")
UNAPPLIED_PROPERTY = rule("loud-unapplied-property", "loud", ALL_TYPES,
                          "a property the provider's create does not apply: the create fails naming it, never succeeds without it",
                          "the local cloud's own rule (local-cloud/README.md)")
UNAPPLIED_UPDATE = rule("loud-unapplied-update", "loud", ALL_TYPES,
                        "an in-place change to a property the provider's update does not apply: the update fails naming it",
                        "the local cloud's own rule (local-cloud/README.md); CloudFormation updates every property the schema "
                        "does not mark create-only in place")

LOG = logging.getLogger("strata.cfn")

# Stack statuses an update moves through, and the ones it moves through when it is the rollback of the
# parent's failed update (a nested stack updated back to its previous template).
UPDATE_STATUSES = ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE")
ROLLBACK_STATUSES = ("UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE")


def suffix(n: int = 12) -> str:
    return "".join(random.choices(string.ascii_uppercase + string.digits, k=n))


def _failure(verb: str, errors: list[ResourceError]) -> str:
    """CloudFormation's stack status reason: "The following resource(s) failed to create: [A, B]. <why>"."""
    real = [e for e in errors if not e.cancelled] or errors
    ids = sorted({e.logical_id for e in errors})
    return f"The following resource(s) failed to {verb}: [{', '.join(ids)}]. {real[0].reason}"


class Engine:
    def __init__(self, endpoint: Callable[[], str], dataplane: Any = None, code_dir: Any = None) -> None:
        from ..lambda_runtime.invoker import Invoker

        self.endpoint = endpoint
        self.store = Store()
        self.invoker = Invoker(endpoint, code_dir=code_dir, dataplane=dataplane)
        self.hooks = guard_hooks.Hooks()
        self.stack_sets = StackSets(self)
        self.services = Services(endpoint=endpoint, nested=self, functions=self.store, invoker=self.invoker, hooks=self.hooks,
                                 stack_sets=self.stack_sets)
        self.threads: list[threading.Thread] = []

    def provision(self, stack: Stack | None, region: str, logical_id: str | None = None, resource_type: str | None = None,
                  rolling_back: bool = False) -> Provision:
        info = StackInfo(stack.id, stack.name, list(stack.tags)) if stack else None
        return Provision(self.services, region, info, logical_id, resource_type, rolling_back)

    # ------------------------------------------------------------ preparing a template
    def pseudo(self, stack_id: str, stack_name: str, region: str) -> dict[str, Any]:
        return {"AWS::AccountId": current_account(), "AWS::Region": region, "AWS::StackId": stack_id, "AWS::StackName": stack_name,
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
        unknown = sorted({str(r["Type"]) for r in template["Resources"].values() if not is_known(str(r["Type"]))})
        if unknown:
            # CloudFormation's template validation: "Template format error: Unrecognized resource types: [...]"
            raise ValidationError(f"Template format error: Unrecognized resource types: [{', '.join(unknown)}]")
        tpl.creation_order(self.active(template, ctx))  # a circular dependency is refused before anything starts
        return template, params, ctx

    def resolve_ssm(self, template: dict[str, Any], params: dict[str, str], region: str) -> dict[str, str]:
        """Parameters of type AWS::SSM::Parameter::Value<...> hold a parameter name; the stack sees its value."""
        out = dict(params)
        for key, spec in (template.get("Parameters") or {}).items():
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value<") and key in out:
                ssm = self.provision(None, region).client("ssm")
                try:
                    value = ssm.get_parameter(Name=out[key])["Parameter"]["Value"]
                except ssm.exceptions.ParameterNotFound as error:
                    # The request itself is refused, naming the Systems Manager parameter, before any stack or change set exists.
                    raise ValidationError(f"Unable to fetch parameters [{out[key]}] from parameter store for this account.") from error
                with self.store.lock:
                    self.store.resolved[(current_account(), region, key, out[key])] = value
                out[key] = value
        return out

    def check_capabilities(self, template: dict[str, Any], capabilities: list[str]) -> None:
        iam = [(k, r) for k, r in template["Resources"].items() if str(r.get("Type", "")).startswith("AWS::IAM::")]
        # "IAM resources with custom names": the name property of each type that creates a named IAM resource
        # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/control-access-with-iam.html#using-iam-capabilities).
        # AWS::IAM::RolePolicy's RoleName names the role it attaches to, not a new resource.
        naming = {"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
                  "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::IAM::InstanceProfile": "InstanceProfileName"}
        named = [k for k, r in iam if naming.get(r.get("Type", "")) in (r.get("Properties") or {})]
        if named and "CAPABILITY_NAMED_IAM" not in capabilities:
            raise InsufficientCapabilities(f"Requires capabilities : [CAPABILITY_NAMED_IAM] (named IAM resources: {named})")
        if iam and not {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(capabilities):
            raise InsufficientCapabilities("Requires capabilities : [CAPABILITY_IAM]")

    def azs(self, region: str) -> list[str]:
        zones = self.provision(None, region).client("ec2").describe_availability_zones()["AvailabilityZones"]
        return sorted(z["ZoneName"] for z in zones if z.get("State") == "available")

    def import_value(self, region: str, name: str) -> str:
        value = self.store.import_value(region, name)
        if value is None:
            raise ResourceFailure(f"No export named {name} found")
        return value

    def active(self, template: dict[str, Any], ctx: tpl.Context) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in template["Resources"].items() if ctx.condition(r.get("Condition"))}

    def policy(self, res: dict[str, Any], key: str) -> str:
        value = res.get(key, "Delete")
        if not isinstance(value, str):
            raise ValidationError(f"{key} must be a string after transforms, got {value!r}")
        return value

    def plan_of(self, stack: Stack, resources: dict[str, dict[str, Any]], ctx: tpl.Context) -> list[Change]:
        """The plan that takes `stack` to `resources` (a template's active resources), as every operation uses it."""
        return plan(stack, resources, ctx, lambda r: effective_policy(r, "remove"))

    def preflight(self, stack: Stack, changes: list[Change], request: Request) -> list[preflight.Finding]:
        """Pre-deployment validation of the changes an operation makes (preflight.py)."""
        if request.disable_validation:
            return []
        return preflight.findings(changes, self.provision(stack, stack.region))

    def refuse(self, stack: Stack, template: dict[str, Any], ctx: tpl.Context, request: Request,
               error: type[Exception] = ValidationError) -> None:
        """CreateStack/UpdateStack refuse what pre-deployment validation finds; a nested stack's own create or update
        refuses it as a ResourceFailure of its resource in the parent."""
        found = self.preflight(stack, self.plan_of(stack, self.active(template, ctx), ctx), request)
        if found:
            raise error(preflight.refusal(found))

    # ------------------------------------------------------------ API: stacks
    def create_stack(self, region: str, name: str, request: Request) -> str:
        stack, _ = self.store.claim(region, name, "CREATE_IN_PROGRESS")
        try:
            template, params, ctx = self.prepare(stack.id, name, region, request, {})
            self.refuse(stack, template, ctx, request)
        except BaseException:
            self.store.release(stack)  # a request that fails validation creates no stack
            raise
        with self.store.lock:
            stack.body, stack.template, stack.params, stack.tags = request.body, template, params, request.tags
            stack.capabilities, stack.disable_rollback = request.capabilities, request.disable_rollback
            stack.description, stack.notification_arns = template.get("Description"), request.notification_arns
        self.background(lambda: self.run_create(stack, ctx))
        return stack.id

    def update_stack(self, region: str, name: str, request: Request) -> str:
        stack = self.store.find(name, region)
        self.check_updatable(stack)
        template, params, ctx = self.prepare(stack.id, stack.name, region, request, stack.params)
        if template == stack.template and params == stack.params and request.tags == stack.tags:
            raise ValidationError("No updates are to be performed.")
        self.refuse(stack, template, ctx, request)
        self.store.begin(stack, "UPDATE_IN_PROGRESS", UPDATABLE)  # a concurrent update that got here first wins
        self.background(lambda: self.run_update(stack, request, template, params, ctx))
        return stack.id

    def check_updatable(self, stack: Stack) -> None:
        self.store.check(stack, UPDATABLE)

    def delete_stack(self, region: str, name: str, retain: list[str] | None = None) -> None:
        try:
            stack = self.store.find(name, region)
        except ValidationError:
            return  # DeleteStack on a stack that does not exist succeeds, as in AWS
        if stack.termination_protection:
            raise ValidationError(f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled")
        if stack.parent_id:
            raise ValidationError(f"Stack [{stack.name}] is a nested stack: delete or update its root stack instead")
        keep = set(retain or [])
        with self.store.lock:
            if stack.status in ("DELETE_COMPLETE", "DELETE_IN_PROGRESS"):
                return
            if keep and stack.status != "DELETE_FAILED":
                # RetainResources: "For stacks in the DELETE_FAILED state, a list of resource logical IDs ... to retain"
                # https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html
                raise ValidationError(f"Invalid operation on stack [{stack.id}]. RetainResources can only be specified when "
                                      f"the stack is in the DELETE_FAILED state; it is in {stack.status}")
            unknown = sorted(keep - set(stack.resources))
            if unknown:
                raise ValidationError(f"The specified resources to retain {unknown} are not resources of stack [{stack.name}]")
            if stack.status == "CREATE_IN_PROGRESS":
                # CloudFormation cancels a create that is deleted: nothing new starts, then the stack is deleted.
                stack.delete_requested = True
                return
            if stack.status == "REVIEW_IN_PROGRESS":
                for key in [k for k, c in self.store.change_sets.items() if c.stack_id == stack.id]:
                    del self.store.change_sets[key]
                stack.status, stack.deleted = "DELETE_COMPLETE", now()
                return
            if stack.status.endswith("_IN_PROGRESS"):
                # The ValidationError users report from DeleteStack during an update (wording not verified against AWS).
                raise ValidationError(f"Stack [{stack.name}] cannot be deleted while in status {stack.status}")
            stack.status = "DELETE_IN_PROGRESS"
        self.background(lambda: self.run_delete(stack, retain=keep))

    def background(self, fn: Callable[[], object]) -> None:
        # The operation acts in the account of the request that started it.
        thread = threading.Thread(target=contextvars.copy_context().run, args=(self._guard(fn),), daemon=True)
        self.threads.append(thread)
        thread.start()

    def _guard(self, fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except Exception:  # noqa: BLE001 - an engine bug must not kill the server silently
                LOG.error("stack operation crashed:\n%s", traceback.format_exc())
        return run

    # ------------------------------------------------------------ create
    def run_create(self, stack: Stack, ctx: tpl.Context) -> bool:
        self.store.set_stack_status(stack, "CREATE_IN_PROGRESS", "User Initiated" if not stack.parent_id else None)
        resources = self.active(stack.template, ctx)
        errors: list[ResourceError] = []
        errors_lock = threading.Lock()
        bind(stack, ctx)

        def work(logical_id: str, run: Run) -> bool:
            try:
                self.create_resource(stack, ctx, logical_id, resources[logical_id], run)
            except ResourceError as error:
                with errors_lock:
                    errors.append(error)
                return False
            return True

        run_graph(tpl.dependencies(resources), work, "stop", cancelled=lambda: stack.delete_requested)
        if stack.delete_requested:
            self.run_delete(stack)
            return False
        if errors:
            return self.fail_create(stack, _failure("create", errors))
        try:
            self.finish_outputs(stack, ctx)
        except (ResourceFailure, ValidationError) as error:
            return self.fail_create(stack, str(error))
        self.store.set_stack_status(stack, "CREATE_COMPLETE")
        return True

    def fail_create(self, stack: Stack, reason: str) -> bool:
        stack.failure = reason
        if stack.disable_rollback:
            self.store.set_stack_status(stack, "CREATE_FAILED", reason)
            return False
        self.store.set_stack_status(stack, "ROLLBACK_IN_PROGRESS", reason)
        ok = self.delete_all(stack, rollback=True)
        self.store.set_stack_status(stack, "ROLLBACK_COMPLETE" if ok else "ROLLBACK_FAILED")
        return False

    def create_resource(self, stack: Stack, ctx: tpl.Context, logical_id: str, spec: dict[str, Any], run: Run | None = None) -> Resource:
        res = Resource(logical_id=logical_id, type=spec["Type"], deletion_policy=self.policy(spec, "DeletionPolicy"),
                       update_replace_policy=self.policy(spec, "UpdateReplacePolicy"))
        with self.store.lock:
            stack.resources[logical_id] = res
        p = self.provision(stack, stack.region, logical_id, spec["Type"])
        try:
            res.props = ctx.resolve(spec.get("Properties", {}) or {})
            self.store.set_resource_status(stack, res, "CREATE_IN_PROGRESS")
            provider = provider_for(res.type)
            self.check_resource(logical_id, res.type, res.props)
            taken = provider.taken(p, res.props)
            if taken is not None:
                # The handler reads before it creates: a name taken since the pre-deployment check is refused too.
                raise ResourceFailure(preflight.already_exists(res.type, taken))
            self.run_hooks(stack, p, res, res.props, "CREATE", None)
            tracked = Tracked(res.props)
            physical, attrs = provider.create(p, logical_id, tracked)
            unread = [k for k in tracked.unread() if k not in provider.applied_later]
            if unread and is_validated(res.type):
                raise Unsupported(f"the local cloud does not apply {unread} of {res.type} (CloudFormation does): "
                                  "add it to the provider's create rather than creating the resource without it", physical=physical)
        except Exception as error:
            reason = str(error) if isinstance(error, (ResourceFailure, ValidationError)) else _describe(error)
            with self.store.lock:
                # What exists is deleted on rollback: a failed custom resource is sent Delete, a half-made resource removed.
                res.physical_id = getattr(error, "physical", None) or p.physical
                res.attrs = p.attrs
            self.store.set_resource_status(stack, res, "CREATE_FAILED", reason)
            raise ResourceError(logical_id, reason) from error
        with self.store.lock:
            res.physical_id, res.attrs = physical, attrs
        if run is not None and run.failed:
            # Another resource failed while this one was being created: CloudFormation reports it cancelled.
            self.store.set_resource_status(stack, res, "CREATE_FAILED", "Resource creation cancelled")
            raise ResourceError(logical_id, "Resource creation cancelled", cancelled=True)
        self.store.set_resource_status(stack, res, "CREATE_COMPLETE")
        return res

    def check_custom_name(self, stack: Stack, current: Resource, props: dict[str, Any]) -> None:
        """CloudFormation creates the replacement before it deletes the old resource, so a replacement that keeps a
        custom name fails: "CloudFormation cannot update a stack when a custom-named resource requires replacing.
        Rename <name> and update the stack again." (the UPDATE_FAILED reason AWS gives)."""
        key = provider_for(current.type).name_property
        name = props.get(key) if key else None
        if key and name is not None and name == current.props.get(key):
            reason = (f"CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename {name} "
                      "and update the stack again.")
            self.store.set_resource_status(stack, current, "UPDATE_FAILED", reason)
            raise ResourceError(current.logical_id, reason)

    def run_hooks(self, stack: Stack, p: Provision, res: Resource, props: dict[str, Any], action: str, previous: dict[str, Any] | None) -> None:
        """The account's Guard hooks for this resource, before it is provisioned (hooks.py): an event per hook, and the
        resource fails when a FAIL-mode hook fails."""
        outcomes = [guard_hooks.invoke(p, hook, stack.id, res.logical_id, res.type, props, action, previous)
                    for hook in self.hooks.matching(stack.region, res.type, action)]
        for o in outcomes:
            self.store.event(stack, res.logical_id, res.type, f"{action}_IN_PROGRESS", res.physical_id, None, hook={
                "HookType": o.hook.alias, "HookStatus": o.status, "HookStatusReason": o.reason, "HookInvocationPoint": "PRE_PROVISION",
                "HookFailureMode": o.hook.mode})
        blocked = guard_hooks.blocked_reason(outcomes)
        if blocked:
            raise ResourceFailure(blocked)

    def check_resource(self, logical_id: str, resource_type: str, props: dict[str, Any]) -> None:
        """The resource handler's own schema check of the resolved properties (validation.py)."""
        found = violations(resource_type, props)
        if found:
            raise ResourceFailure(resource_reason(logical_id, found))

    def finish_outputs(self, stack: Stack, ctx: tpl.Context) -> None:
        bind(stack, ctx)
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
        conflict = self.store.publish_exports(stack, outputs)
        if conflict:
            raise ResourceFailure(conflict)

    # ------------------------------------------------------------ update
    def run_update(self, stack: Stack, request: Request, template: dict[str, Any], params: dict[str, str], ctx: tpl.Context,
                   rolling_back: bool = False) -> bool:
        """Applies the plan of `template` to the stack. rolling_back: this nested stack is being updated back by the
        rollback of its parent's update, so its statuses are the UPDATE_ROLLBACK_* ones CloudFormation reports."""
        statuses = ROLLBACK_STATUSES if rolling_back else UPDATE_STATUSES
        with self.store.lock:
            old: dict[str, Any] = {"template": stack.template, "params": stack.params, "body": stack.body, "tags": stack.tags, "outputs": stack.outputs}
            before = {k: copy.copy(v) for k, v in stack.resources.items()}
            stack.template, stack.params, stack.body, stack.tags = template, params, request.body, request.tags
            stack.capabilities, stack.updated = request.capabilities, now()
            stack.description = template.get("Description")
        self.store.set_stack_status(stack, statuses[0], "User Initiated" if not stack.parent_id and not rolling_back else None)
        resources = self.active(template, ctx)
        changes = {c.logical_id: c for c in self.plan_of(stack, resources, ctx)}
        for logical_id, spec in resources.items():
            current = stack.resources.get(logical_id)
            if current is not None:
                current.deletion_policy = self.policy(spec, "DeletionPolicy")
                current.update_replace_policy = self.policy(spec, "UpdateReplacePolicy")
        created: list[str] = []
        updated: list[str] = []
        replaced: dict[str, Resource] = {}
        superseded: list[Resource] = []
        errors: list[ResourceError] = []
        lock = threading.Lock()
        bind(stack, ctx)

        def work(logical_id: str, run: Run) -> bool:
            spec = resources[logical_id]
            current = stack.resources.get(logical_id)
            change = changes.get(logical_id)
            try:
                if (change is not None and change.action == "Add") or current is None or current.physical_id is None:
                    self.create_resource(stack, ctx, logical_id, spec, run)
                    with lock:
                        created.append(logical_id)
                    return True
                # Resolved again now: a Dynamic change (or an attribute an earlier update changed) is known only now.
                props = ctx.resolve(spec.get("Properties", {}) or {})
                if current.type == spec["Type"] and same(props, current.props):
                    return True
                if current.type != spec["Type"] or requires_replacement(spec["Type"], current.props, props):
                    self.check_custom_name(stack, current, props)
                    with lock, self.store.lock:
                        replaced[logical_id] = current
                        del stack.resources[logical_id]
                    self.create_resource(stack, ctx, logical_id, spec, run)
                    return True
                with lock:
                    updated.append(logical_id)
                previous = copy.copy(current)
                self.update_resource(stack, current, props)
                if current.physical_id != previous.physical_id:
                    with lock:
                        superseded.append(previous)  # a custom resource answered with a new ID: the old one is deleted in cleanup
                return True
            except ResourceError as error:
                with lock:
                    errors.append(error)
                return False

        run_graph(tpl.dependencies(resources), work, "stop")
        reason = _failure("update", errors) if errors else None
        if reason is None:
            try:
                self.finish_outputs(stack, ctx)
            except (ResourceFailure, ValidationError) as error:
                reason = str(error)
        if reason is not None:
            self.rollback_update(stack, old, before, created, updated, replaced, reason)
            return False
        self.store.set_stack_status(stack, statuses[1])
        removed = [k for k, c in changes.items() if c.action == "Remove"]
        self.delete_many(stack, removed, old["template"].get("Resources", {}), why="remove", forget=True)
        for previous in replaced.values():
            self.delete_resource(stack, previous, why="replace", forget=False)
        for previous in superseded:
            self.delete_resource(stack, previous, why="supersede", forget=False)
        self.store.set_stack_status(stack, statuses[2])
        return True

    def update_resource(self, stack: Stack, res: Resource, props: dict[str, Any], rolling_back: bool = False) -> None:
        self.store.set_resource_status(stack, res, "UPDATE_IN_PROGRESS")
        p = self.provision(stack, stack.region, res.logical_id, res.type, rolling_back)
        try:
            assert res.physical_id is not None
            provider = provider_for(res.type)
            self.check_resource(res.logical_id, res.type, props)
            provider.check_in_place(res.props, props)
            if not rolling_back:  # a rollback puts back what was accepted before
                self.run_hooks(stack, p, res, props, "UPDATE", res.props)
            physical, attrs = provider.update(p, res.physical_id, res.props, props, res.attrs)
        except Exception as error:
            reason = str(error) if isinstance(error, (ResourceFailure, ValidationError)) else _describe(error)
            self.store.set_resource_status(stack, res, "UPDATE_FAILED", reason)
            raise ResourceError(res.logical_id, reason) from error
        with self.store.lock:
            res.props = props
            res.physical_id, res.attrs = physical or res.physical_id, attrs
        self.store.set_resource_status(stack, res, "UPDATE_COMPLETE")

    def rollback_update(self, stack: Stack, old: dict[str, Any], before: dict[str, Resource], created: list[str], updated: list[str],
                        replaced: dict[str, Resource], reason: str) -> None:
        stack.failure = reason
        self.store.set_stack_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        ok = True
        for logical_id in reversed(updated):
            res, previous = stack.resources[logical_id], before[logical_id]
            if res.status in ("UPDATE_COMPLETE", "UPDATE_FAILED"):
                try:
                    self.update_resource(stack, res, previous.props, rolling_back=True)
                except ResourceError:
                    ok = False
        ok &= self.delete_many(stack, [*created, *replaced], stack.template.get("Resources", {}), why="rollback", forget=True)
        with self.store.lock:
            for logical_id, previous_copy in replaced.items():
                stack.resources[logical_id] = previous_copy
            stack.template, stack.params, stack.body, stack.tags = old["template"], old["params"], old["body"], old["tags"]
        self.store.publish_exports(stack, old["outputs"])
        self.store.set_stack_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        self.store.set_stack_status(stack, "UPDATE_ROLLBACK_COMPLETE" if ok else "UPDATE_ROLLBACK_FAILED")

    # ------------------------------------------------------------ delete
    def run_delete(self, stack: Stack, rollback: bool = False, retain: set[str] | None = None) -> bool:
        """rollback: the stack is a nested stack deleted by the rollback of the operation that created it, so its
        resources were created by that operation too (DeletionPolicy RetainExceptOnCreate then deletes them).
        retain: DeleteStack's RetainResources (the stack was DELETE_FAILED)."""
        self.store.set_stack_status(stack, "DELETE_IN_PROGRESS", "User Initiated" if not stack.parent_id else None)
        ok = self.delete_all(stack, rollback=rollback, retain=retain or set())
        if not ok:
            failed = {k: r.reason for k, r in stack.resources.items() if r.status == "DELETE_FAILED"}
            stack.failure = f"The following resource(s) failed to delete: [{', '.join(sorted(failed))}]. " + " ".join(
                f"{k}: {v}" for k, v in sorted(failed.items()))
            self.store.set_stack_status(stack, "DELETE_FAILED", stack.failure)
            return False
        self.store.drop_exports(stack)
        with self.store.lock:
            stack.deleted = now()
        self.store.set_stack_status(stack, "DELETE_COMPLETE")
        return True

    def delete_all(self, stack: Stack, rollback: bool, retain: set[str] | None = None) -> bool:
        return self.delete_many(stack, list(stack.resources), stack.template.get("Resources", {}),
                                why="rollback" if rollback else "remove", forget=False, retain=retain or set())

    def delete_many(self, stack: Stack, logical_ids: list[str], specs: dict[str, Any], why: Why, forget: bool,
                    retain: set[str] | None = None) -> bool:
        """Deletes these resources of the stack in reverse dependency order, in parallel where the graph allows; as in
        CloudFormation, what a resource that failed to delete depends on stays. retain: skipped (DELETE_SKIPPED)."""
        targets = [k for k in logical_ids if k in stack.resources]
        graph = tpl.dependencies(specs, strict=False)
        waits = reverse({k: graph.get(k, set()) & set(targets) for k in targets})
        keep = retain or set()

        def work(logical_id: str, run: Run) -> bool:
            res = stack.resources.get(logical_id)
            if res is None or res.status == "DELETE_COMPLETE":
                return True
            if logical_id in keep:
                self.store.set_resource_status(stack, res, "DELETE_SKIPPED")
                return True
            if res.physical_id is None:
                self.store.set_resource_status(stack, res, "DELETE_COMPLETE")
                if forget:
                    self._forget(stack, res)
                return True
            return self.delete_resource(stack, res, why=why, forget=forget)

        outcome = run_graph(waits, work, "skip-dependants")
        return all(v == "done" for v in outcome.values())

    def delete_resource(self, stack: Stack, res: Resource, why: Why, forget: bool) -> bool:
        action = effective_policy(res, why)
        if action == "Retain":
            self.store.set_resource_status(stack, res, "DELETE_SKIPPED")
        else:
            self.store.set_resource_status(stack, res, "DELETE_IN_PROGRESS")
            provider = provider_for(res.type)
            try:
                assert res.physical_id is not None
                p = self.provision(stack, stack.region, res.logical_id, res.type, rolling_back=why == "rollback")
                if action == "Snapshot":
                    provider.delete_with_snapshot(p, res.physical_id, res.props, res.attrs)
                else:
                    provider.delete(p, res.physical_id, res.props, res.attrs)
            except Exception as error:  # noqa: BLE001 - every failure becomes DELETE_FAILED with its reason
                self.store.set_resource_status(stack, res, "DELETE_FAILED", _describe(error))
                return False
            self.store.set_resource_status(stack, res, "DELETE_COMPLETE")
        if forget:
            self._forget(stack, res)
        return True

    def _forget(self, stack: Stack, res: Resource) -> None:
        """The resource leaves the stack's own records (a later update that adds it again creates it again)."""
        with self.store.lock:
            if stack.resources.get(res.logical_id) is res:
                del stack.resources[res.logical_id]

    # ------------------------------------------------------------ nested stacks (the NestedStackHost providers see)
    def create_nested(self, parent_id: str, logical_id: str, body: str, params: dict[str, str]) -> tuple[str, dict[str, str]]:
        parent = self.store.stacks[parent_id]
        name = f"{parent.name}-{logical_id}-{suffix()}"[:128]
        stack_id = stack_arn(parent.region, name)
        request = Request(body=body, params=dict(params), tags=parent.tags, capabilities=parent.capabilities,
                          disable_rollback=parent.disable_rollback)
        template, resolved, ctx = self.prepare(stack_id, name, parent.region, request, {})
        stack = Stack(id=stack_id, name=name, region=parent.region, status="CREATE_IN_PROGRESS", body=body, template=template,
                      params=resolved, tags=parent.tags, capabilities=parent.capabilities, parent_id=parent.id,
                      root_id=parent.root_id or parent.id, disable_rollback=parent.disable_rollback, description=template.get("Description"))
        self.refuse(stack, template, ctx, request, ResourceFailure)
        with self.store.lock:
            self.store.stacks[stack_id] = stack
        if not self.run_create(stack, ctx):
            # The parent's rollback deletes it (it is the resource's physical ID), as CloudFormation does.
            raise ResourceFailure(f"Embedded stack {stack_id} was not successfully created: {stack.failure or stack.status}", physical=stack_id)
        return stack.id, _outputs(stack)

    def update_nested(self, stack_id: str, body: str, params: dict[str, str], tags: list[dict[str, str]], rolling_back: bool) -> dict[str, str]:
        stack = self.store.stacks[stack_id]
        request = Request(body=body, params=dict(params), tags=tags, capabilities=stack.capabilities)
        template, resolved, ctx = self.prepare(stack.id, stack.name, stack.region, request, stack.params)
        if not rolling_back:
            self.refuse(stack, template, ctx, request, ResourceFailure)
        if not self.run_update(stack, request, template, resolved, ctx, rolling_back=rolling_back):
            raise ResourceFailure(f"Embedded stack {stack.id} was not successfully updated: {stack.failure or stack.status}")
        return _outputs(stack)

    def delete_nested(self, stack_id: str, rolling_back: bool) -> None:
        stack = self.store.stacks.get(stack_id)
        if stack is None or stack.status == "DELETE_COMPLETE":
            return
        if not self.run_delete(stack, rollback=rolling_back):
            raise ResourceFailure(f"Embedded stack {stack_id} was not successfully deleted: {stack.failure}")

    # ------------------------------------------------------------ change sets
    def create_change_set(self, region: str, stack_name: str, name: str, kind: str, request: Request, include_nested: bool,
                          description: str | None) -> ChangeSet:
        claimed = False
        if kind == "CREATE":
            try:
                stack, claimed = self.store.claim(region, stack_name, "REVIEW_IN_PROGRESS", adopt_review=True)
            except AlreadyExists:
                raise AlreadyExists(f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{name}].") from None
        else:
            existing = self.store.find_live(stack_name, region)
            if existing is None or existing.status == "REVIEW_IN_PROGRESS":
                raise ValidationError(f"Stack [{stack_name}] does not exist")
            self.check_updatable(existing)
            stack = existing
        try:
            with self.store.lock:
                if any(c.name == name and c.stack_id == stack.id for c in self.store.change_sets.values()):
                    raise AlreadyExists(f"ChangeSet [{name}] already exists")
            template, params, ctx = self.prepare(stack.id, stack_name, region, request, stack.params)
            cs = ChangeSet(id=f"arn:aws:cloudformation:{region}:{current_account()}:changeSet/{name}/{uuid.uuid4()}", name=name, stack_id=stack.id,
                           stack_name=stack_name, kind=kind, request=request, params=params, include_nested=include_nested,
                           description=description, root_id=None)
            changes = self.plan_of(stack, self.active(template, ctx), ctx)
            cs.changes = self.describe_plan(changes, cs if include_nested else None)
            found = self.preflight(stack, changes, request)
        except BaseException:
            if claimed:
                self.store.release(stack)
            raise
        if found:
            cs.status, cs.execution_status, cs.reason = "FAILED", "UNAVAILABLE", preflight.reason(found)
            cs.validation_events = [f.event() for f in found]
        elif not cs.changes and kind == "UPDATE" and request.tags == stack.tags and params == stack.params:
            cs.status, cs.execution_status = "FAILED", "UNAVAILABLE"
            cs.reason = "The submitted information didn't contain changes. Submit different information to create a change set."
        with self.store.lock:
            self.store.change_sets[cs.id] = cs
        if claimed:
            self.store.set_stack_status(stack, "REVIEW_IN_PROGRESS", "User Initiated")
        return cs

    def describe_plan(self, changes: list[Change], parent_cs: ChangeSet | None) -> list[dict[str, Any]]:
        """The plan as DescribeChangeSet shows it, with a nested change set per modified nested stack when asked."""
        for change in changes:
            if (parent_cs is not None and change.action == "Modify" and change.type == "AWS::CloudFormation::Stack"
                    and not has_unknown(change.props) and change.physical_id in self.store.stacks):
                change.nested_change_set = self.nested_change_set(parent_cs, self.store.stacks[change.physical_id], change.props)
        return [c.view() for c in changes]

    def nested_change_set(self, parent: ChangeSet, child: Stack, props: dict[str, Any]) -> str:
        from .providers.cloudformation import read_template_url

        body = read_template_url(self.provision(child, child.region), props["TemplateURL"])
        request = Request(body=body, params={k: str(v) for k, v in (props.get("Parameters") or {}).items()}, tags=child.tags,
                          capabilities=child.capabilities)
        template, params, ctx = self.prepare(child.id, child.name, child.region, request, child.params)
        name = f"{parent.name}-{child.name}"[:128]
        cs = ChangeSet(id=f"arn:aws:cloudformation:{child.region}:{current_account()}:changeSet/{name}/{uuid.uuid4()}", name=name,
                       stack_id=child.id, stack_name=child.name, kind="UPDATE", request=request, params=params,
                       parent_id=parent.id, root_id=parent.root_id or parent.id, include_nested=True)
        cs.changes = self.describe_plan(self.plan_of(child, self.active(template, ctx), ctx), cs)
        with self.store.lock:
            self.store.change_sets[cs.id] = cs
        return cs.id

    def execute_change_set(self, cs: ChangeSet, disable_rollback: bool | None) -> None:
        if cs.parent_id:
            raise ValidationError("A nested change set cannot be executed on its own: execute its root change set")
        stack = self.store.stacks[cs.stack_id]
        if disable_rollback is not None:
            cs.request.disable_rollback = disable_rollback
        template, params, ctx = self.prepare(stack.id, stack.name, stack.region, cs.request, stack.params)
        with self.store.lock:
            if cs.execution_status != "AVAILABLE" or cs.id not in self.store.change_sets:
                raise ValidationError(f"ChangeSet [{cs.id}] cannot be executed in its current status of [{cs.status}] / "
                                      f"execution status [{cs.execution_status}]")
            if cs.kind == "CREATE":
                self.store.begin(stack, "CREATE_IN_PROGRESS", frozenset({"REVIEW_IN_PROGRESS"}))
            else:
                self.store.begin(stack, "UPDATE_IN_PROGRESS", UPDATABLE)
            cs.execution_status = "EXECUTE_IN_PROGRESS"
            # As in AWS: executing a change set removes every change set of the stack (nested ones included).
            nested = {c.id for c in self.store.change_sets.values() if c.root_id == cs.id}
            for key in [k for k, c in self.store.change_sets.items() if c.stack_id == stack.id or k in nested]:
                del self.store.change_sets[key]
            stack.change_set_id = cs.id

        def run() -> None:
            if cs.kind == "CREATE":
                with self.store.lock:
                    stack.template, stack.params, stack.body, stack.tags = template, params, cs.request.body, cs.request.tags
                    stack.capabilities, stack.disable_rollback = cs.request.capabilities, cs.request.disable_rollback
                    stack.description = template.get("Description")
                ok = self.run_create(stack, ctx)
            else:
                ok = self.run_update(stack, cs.request, template, params, ctx)
            cs.execution_status = "EXECUTE_COMPLETE" if ok else "EXECUTE_FAILED"

        self.background(run)


def _outputs(stack: Stack) -> dict[str, str]:
    return {f"Outputs.{o['OutputKey']}": o["OutputValue"] for o in stack.outputs}


def _describe(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{err.get('Message') or err.get('Code')} (Service error code: {err.get('Code')}; Status Code: {status})"
    return str(error) or type(error).__name__
