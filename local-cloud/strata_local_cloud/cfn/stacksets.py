"""CloudFormation StackSets, service-managed: one template rolled out as stack instances to the accounts of an
AWS Organization's OUs, region by region, by the engine acting in each account.

What is emulated (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/what-is-cfnstacksets.html):
- the service-managed permission model only: the caller must be the organization's management account (CallAs
  SELF) or a registered delegated administrator for member.org.stacksets.cloudformation.amazonaws.com (CallAs
  DELEGATED_ADMIN), and trusted access must be on; a self-managed StackSet is refused loudly;
- deployment targets by OU: every account of the OUs and their child OUs, never the management account;
- operations in the background, each with its status (RUNNING, SUCCEEDED, FAILED) and a result per account and
  region (SUCCEEDED, FAILED with the stack's first failure, CANCELLED when the operation stopped); regions in
  RegionOrder, one at a time (SEQUENTIAL) or together (PARALLEL); accounts in a region up to the concurrency,
  which is at most one more than the failure tolerance; a region with more failures than tolerated stops the
  operation and the regions after it;
- stack instances named StackSet-<name>-<uuid>, with the StackSet's parameters and their parameter overrides;
  instance status CURRENT, OUTDATED (its last operation failed) and the detailed status of the last operation;
- automatic deployment: an account that joins a target OU (created in it or moved into it) gets instances in
  every region of the StackSet; one that leaves loses them (RetainStacksOnAccountRemoval false) or keeps its
  stacks outside the StackSet (true);
- ManagedExecution: operations on one StackSet run one after the other (queued), never refused.
Not emulated: self-managed StackSets and their roles, drift detection, import of existing stacks, account-level
targets with filters (AccountFilterType), concurrency modes (ConcurrencyMode), and the service's own throttling.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import math
import threading
import time
import uuid
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

from ..moto_patches.organizations import management_account
from ..rules import rule
from .context import acting_as, current_account
from .errors import (
    CloudFormationError,
    NameAlreadyExists,
    OperationInProgress,
    OperationNotFound,
    StackInstanceNotFound,
    StackSetNotEmpty,
    StackSetNotFound,
    ValidationError,
)
from .store import Request, now

TRUSTED_ACCESS = rule(
    "stackset-trusted-access", "service", ("AWS::CloudFormation::StackSet",),
    "a service-managed StackSet while trusted access for StackSets is off in the organization",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html "
    "(ValidationError \"You must enable organizations access to operate a service managed stack set\")")
ADMINISTRATOR = rule(
    "stackset-administrator", "service", ("AWS::CloudFormation::StackSet",),
    "a service-managed StackSet operated by an account that is neither the organization's management account nor (with "
    "CallAs DELEGATED_ADMIN) its registered delegated administrator",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html (ValidationError "
    "\"You must be the master or delegated admin account of an organization before operating a SERVICE_MANAGED stack set\")")
OU_TARGETS = rule(
    "stackset-service-managed-targets", "service", ("AWS::CloudFormation::StackSet",),
    "stack instances of a service-managed StackSet targeted at accounts instead of OUs, or at an OU the organization does not have",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html (OrganizationalUnitIds for "
    "service-managed StackSets; Accounts only with AccountFilterType)")
NOT_EMPTY = rule(
    "stackset-not-empty", "protection", ("AWS::CloudFormation::StackSet",),
    "deleting a StackSet that still has stack instances",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStackSet.html (StackSetNotEmptyException: "
    "\"Delete all stack instances from the stack set before deleting the stack set\")")

STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")


@dataclass
class Instance:
    account: str
    region: str
    ou: str
    stack_id: str | None = None
    status: str = "OUTDATED"  # CURRENT | OUTDATED | INOPERABLE
    detailed: str = "PENDING"  # PENDING | RUNNING | SUCCEEDED | FAILED | CANCELLED | INOPERABLE
    reason: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    last_operation: str | None = None


@dataclass
class Result:
    account: str
    region: str
    ou: str
    status: str = "PENDING"  # PENDING | RUNNING | SUCCEEDED | FAILED | CANCELLED
    reason: str | None = None


@dataclass
class Operation:
    id: str
    action: str  # CREATE | UPDATE | DELETE
    preferences: dict[str, Any]
    targets: dict[str, Any]
    retain: bool = False
    status: str = "QUEUED"
    reason: str | None = None
    created: dt.datetime = field(default_factory=now)
    ended: dt.datetime | None = None
    results: list[Result] = field(default_factory=list)


@dataclass
class StackSet:
    name: str
    id: str
    arn: str
    region: str
    owner: str  # the account that administers it (management or delegated administrator)
    organization_master: str
    body: str
    params: dict[str, str]
    capabilities: list[str]
    tags: list[dict[str, str]]
    description: str | None
    auto_deployment: dict[str, Any]
    managed_execution: dict[str, Any]
    status: str = "ACTIVE"
    instances: dict[tuple[str, str], Instance] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    target_ous: set[str] = field(default_factory=set)
    regions: list[str] = field(default_factory=list)
    queue: threading.Lock = field(default_factory=threading.Lock)  # ManagedExecution: one operation at a time


class Organization:
    """The caller's AWS Organization as moto keeps it (in-process: the backend of the management account)."""

    def __init__(self, master: str) -> None:
        from moto.organizations.models import organizations_backends

        self.master = master
        self.backend = organizations_backends[master]["aws"]

    def trusted(self) -> bool:
        return any(s["ServicePrincipal"] == STACKSETS_PRINCIPAL for s in self.backend.services)

    def delegated(self, account: str) -> bool:
        return any(account == a.account.id and STACKSETS_PRINCIPAL in a.services for a in self.backend.admins)

    def root_id(self) -> str:
        return str(self.backend.ou[0].id)

    def ou_ids(self) -> set[str]:
        return {str(o.id) for o in self.backend.ou}

    def parent(self, node: str) -> str | None:
        for ou in self.backend.ou:
            if str(ou.id) == node:
                return None if str(ou.id) == self.root_id() else str(ou.parent_id)
        for account in self.backend.accounts:
            if str(account.id) == node:
                return str(account.parent_id)
        return None

    def under(self, account: str, ou: str) -> bool:
        """Whether the account sits in `ou` or in one of its child OUs."""
        node = self.parent(account)
        while node is not None:
            if node == ou:
                return True
            node = self.parent(node)
        return False

    def accounts(self) -> list[str]:
        return [str(a.id) for a in self.backend.accounts if getattr(a, "status", "ACTIVE") == "ACTIVE" and str(a.id) != self.master]

    def targets(self, ous: list[str]) -> dict[str, str]:
        """account -> the target OU it is reached through, for every account under `ous` (the management account never)."""
        found: dict[str, str] = {}
        for ou in ous:
            for account in self.accounts():
                if account not in found and self.under(account, ou):
                    found[account] = ou
        return found


def _concurrency(preferences: dict[str, Any], accounts: int) -> tuple[int, int]:
    """(concurrent accounts, tolerated failures) per region, as StackSets computes them: percentages round down,
    concurrency at least 1, and at most one more than the failure tolerance
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html)."""
    if "FailureToleranceCount" in preferences:
        tolerance = int(preferences["FailureToleranceCount"])
    else:
        tolerance = math.floor(accounts * float(preferences.get("FailureTolerancePercentage", 0)) / 100)
    if "MaxConcurrentCount" in preferences:
        concurrent = int(preferences["MaxConcurrentCount"])
    elif "MaxConcurrentPercentage" in preferences:
        concurrent = max(1, math.floor(accounts * float(preferences["MaxConcurrentPercentage"]) / 100))
    else:
        concurrent = 1
    return max(1, min(concurrent, tolerance + 1)), tolerance


class StackSets:
    """The StackSets of every administrator account, and the operations that run their stack instances."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine  # cfn.engine.Engine: create_stack, update_stack, delete_stack and its store
        self.lock = threading.RLock()
        self.sets: dict[str, StackSet] = {}  # StackSetId -> StackSet

    # ------------------------------------------------------------ who may operate
    def _organization(self, call_as: str | None) -> Organization:
        caller = current_account()
        master = management_account(caller)
        organization = Organization(master) if master else None
        admin = organization is not None and (caller == master or (call_as == "DELEGATED_ADMIN" and organization.delegated(caller)))
        if organization is None or not admin:
            raise ValidationError("You must be the master or delegated admin account of an organization before operating a "
                                  "SERVICE_MANAGED stack set")
        if not organization.trusted():
            raise ValidationError("You must enable organizations access to operate a service managed stack set")
        return organization

    def find(self, name_or_id: str, region: str) -> StackSet:
        with self.lock:
            for s in self.sets.values():
                if s.owner == current_account() and s.region == region and s.status == "ACTIVE" and name_or_id in (s.name, s.id):
                    return s
        raise StackSetNotFound(f"StackSet {name_or_id} not found")

    def visible(self, region: str) -> list[StackSet]:
        with self.lock:
            return [s for s in self.sets.values() if s.owner == current_account() and s.region == region]

    # ------------------------------------------------------------ stack sets
    def create(self, region: str, args: dict[str, Any], body: str) -> StackSet:
        if args.get("PermissionModel", "SELF_MANAGED") != "SERVICE_MANAGED":
            raise ValidationError("The local cloud emulates service-managed StackSets only (PermissionModel SERVICE_MANAGED); "
                                  "self-managed StackSets and their administration and execution roles are not emulated")
        organization = self._organization(args.get("CallAs"))
        auto = args.get("AutoDeployment") or {}
        if "Enabled" not in auto:
            # CreateStackSet: "AutoDeployment ... required if the permission model is SERVICE_MANAGED" (wording ours).
            raise ValidationError("AutoDeployment must be specified for a SERVICE_MANAGED stack set")
        self._check_template(body, args.get("Parameters", []))
        with self.lock:
            try:
                self.find(args["StackSetName"], region)
            except StackSetNotFound:
                pass
            else:
                raise NameAlreadyExists(f"StackSet {args['StackSetName']} already exists")
            set_id = f"{args['StackSetName']}:{uuid.uuid4()}"
            stack_set = StackSet(
                name=args["StackSetName"], id=set_id, arn=f"arn:aws:cloudformation:{region}:{current_account()}:stackset/{set_id}",
                region=region, owner=current_account(), organization_master=organization.master, body=body,
                params={p["ParameterKey"]: p.get("ParameterValue", "") for p in args.get("Parameters", [])},
                capabilities=list(args.get("Capabilities", [])), tags=list(args.get("Tags", [])), description=args.get("Description"),
                auto_deployment={"Enabled": bool(auto.get("Enabled")),
                                 "RetainStacksOnAccountRemoval": bool(auto.get("RetainStacksOnAccountRemoval", False))},
                managed_execution={"Active": bool((args.get("ManagedExecution") or {}).get("Active", False))})
            self.sets[set_id] = stack_set
        return stack_set

    @staticmethod
    def _check_template(body: str, parameters: list[dict[str, Any]]) -> None:
        """The template must parse and every parameter it needs must have a value (CreateStackSet validates both)."""
        from . import template as tpl

        raw = tpl.parse(body)
        given = {p["ParameterKey"]: p.get("ParameterValue") for p in parameters}
        unknown = sorted(set(given) - set(raw.get("Parameters") or {}))
        if unknown:
            raise ValidationError(f"Parameters: {unknown} do not exist in the template")

    def update(self, region: str, args: dict[str, Any], body: str | None) -> Operation:
        stack_set = self.find(args["StackSetName"], region)
        self._organization(args.get("CallAs"))
        with self.lock:
            if body is not None:
                self._check_template(body, args.get("Parameters", []))
                stack_set.body = body
            if "Parameters" in args:
                previous = dict(stack_set.params)
                stack_set.params = {p["ParameterKey"]: previous.get(p["ParameterKey"], "") if p.get("UsePreviousValue")
                                    else p.get("ParameterValue", "") for p in args["Parameters"]}
            for key, attr in (("Capabilities", "capabilities"), ("Tags", "tags"), ("Description", "description")):
                if key in args:
                    setattr(stack_set, attr, args[key])
            if "AutoDeployment" in args:
                stack_set.auto_deployment.update({k: bool(v) for k, v in args["AutoDeployment"].items()})
            if "ManagedExecution" in args:
                stack_set.managed_execution = {"Active": bool(args["ManagedExecution"].get("Active", False))}
            keys = [(i.account, i.region) for i in stack_set.instances.values()]
        return self._start(stack_set, "UPDATE", keys, args.get("OperationPreferences") or {}, {}, args.get("OperationId"))

    def delete(self, region: str, args: dict[str, Any]) -> None:
        stack_set = self.find(args["StackSetName"], region)
        self._organization(args.get("CallAs"))
        with self.lock:
            if stack_set.instances:
                raise StackSetNotEmpty("Delete all stack instances from the stack set before deleting the stack set")
            if any(o.status not in TERMINAL for o in stack_set.operations.values()):
                raise OperationInProgress("Another Operation on StackSet is in progress")
            stack_set.status = "DELETED"

    # ------------------------------------------------------------ stack instances
    def create_instances(self, region: str, args: dict[str, Any]) -> Operation:
        stack_set = self.find(args["StackSetName"], region)
        organization = self._organization(args.get("CallAs"))
        targets = args.get("DeploymentTargets") or {}
        if args.get("Accounts") or targets.get("Accounts") or not targets.get("OrganizationalUnitIds"):
            raise ValidationError("StackSets with SERVICE_MANAGED permission model can only have OrganizationalUnit as target")
        ous = list(targets["OrganizationalUnitIds"])
        missing = sorted(set(ous) - organization.ou_ids())
        if missing:
            raise ValidationError(f"OrganizationalUnitIds {missing} are not OUs or the root of the organization")
        regions = list(args["Regions"])
        overrides = {p["ParameterKey"]: p.get("ParameterValue", "") for p in args.get("ParameterOverrides", [])}
        keys: list[tuple[str, str]] = []
        with self.lock:
            stack_set.target_ous.update(ous)
            stack_set.regions = [*stack_set.regions, *(r for r in regions if r not in stack_set.regions)]
            for account, ou in organization.targets(ous).items():
                for r in regions:
                    instance = stack_set.instances.setdefault((account, r), Instance(account, r, ou))
                    instance.overrides.update(overrides)
                    keys.append((account, r))
        return self._start(stack_set, "CREATE", keys, args.get("OperationPreferences") or {}, targets, args.get("OperationId"))

    def update_instances(self, region: str, args: dict[str, Any]) -> Operation:
        stack_set = self.find(args["StackSetName"], region)
        organization = self._organization(args.get("CallAs"))
        targets = args.get("DeploymentTargets") or {}
        reached = organization.targets(list(targets.get("OrganizationalUnitIds", [])))
        overrides = {p["ParameterKey"]: p.get("ParameterValue", "") for p in args.get("ParameterOverrides", [])}
        with self.lock:
            keys = [k for k in stack_set.instances if k[0] in reached and k[1] in args["Regions"]]
            for k in keys:
                stack_set.instances[k].overrides = dict(overrides)
        return self._start(stack_set, "UPDATE", keys, args.get("OperationPreferences") or {}, targets, args.get("OperationId"))

    def delete_instances(self, region: str, args: dict[str, Any]) -> Operation:
        stack_set = self.find(args["StackSetName"], region)
        organization = self._organization(args.get("CallAs"))
        targets = args.get("DeploymentTargets") or {}
        ous = list(targets.get("OrganizationalUnitIds", []))
        reached = organization.targets(ous)
        with self.lock:
            keys = [k for k in stack_set.instances if k[0] in reached and k[1] in args["Regions"]]
            stack_set.target_ous.difference_update(ous)
        return self._start(stack_set, "DELETE", keys, args.get("OperationPreferences") or {}, targets, args.get("OperationId"),
                           retain=bool(args.get("RetainStacks", False)))

    def wait(self, region: str, name: str, operation_id: str, timeout: float = 3600) -> Operation:
        """Polls an operation until it ends (the StackSet resource provider waits for its own operations)."""
        deadline = time.monotonic() + timeout
        while True:
            _, operation = self.operation(region, name, operation_id)
            if operation.status in TERMINAL or time.monotonic() > deadline:
                return operation
            time.sleep(0.5)

    def instance(self, region: str, name: str, account: str, instance_region: str) -> tuple[StackSet, Instance]:
        stack_set = self.find(name, region)
        with self.lock:
            found = stack_set.instances.get((account, instance_region))
        if found is None:
            raise StackInstanceNotFound(f"Stack instance {account}/{instance_region} of StackSet {name} not found")
        return stack_set, found

    def operation(self, region: str, name: str, operation_id: str) -> tuple[StackSet, Operation]:
        stack_set = self.find(name, region)
        with self.lock:
            found = stack_set.operations.get(operation_id)
        if found is None:
            raise OperationNotFound(f"Operation {operation_id} of StackSet {name} not found")
        return stack_set, found

    # ------------------------------------------------------------ automatic deployment
    def account_moved(self, master: str, account: str) -> None:
        """An account joined, moved within or left the organization whose management account is `master`."""
        with self.lock:
            sets = [s for s in self.sets.values() if s.status == "ACTIVE" and s.organization_master == master and s.auto_deployment["Enabled"]]
        organization = Organization(master)
        for stack_set in sets:
            reached = organization.targets(sorted(stack_set.target_ous)).get(account)
            with self.lock:
                held = [k for k in stack_set.instances if k[0] == account]
            with acting_as(stack_set.owner):
                if reached and not held and stack_set.regions:
                    with self.lock:
                        for r in stack_set.regions:
                            stack_set.instances[(account, r)] = Instance(account, r, reached)
                    self._start(stack_set, "CREATE", [(account, r) for r in stack_set.regions], {}, {"OrganizationalUnitIds": [reached]}, None)
                elif not reached and held:
                    retain = stack_set.auto_deployment["RetainStacksOnAccountRemoval"]
                    self._start(stack_set, "DELETE", held, {}, {"Accounts": [account]}, None, retain=retain)

    # ------------------------------------------------------------ running an operation
    def _start(self, stack_set: StackSet, action: str, keys: list[tuple[str, str]], preferences: dict[str, Any],
               targets: dict[str, Any], operation_id: str | None, retain: bool = False) -> Operation:
        with self.lock:
            if not stack_set.managed_execution.get("Active") and any(o.status not in TERMINAL for o in stack_set.operations.values()):
                # Without managed execution a second operation is refused while one runs
                # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html#stackset-ops-managed-execution).
                raise OperationInProgress("Another Operation on StackSet is in progress")
            operation = Operation(id=operation_id or str(uuid.uuid4()), action=action, preferences=dict(preferences),
                                  targets=dict(targets), retain=retain)
            operation.results = [Result(a, r, stack_set.instances[(a, r)].ou) for a, r in keys if (a, r) in stack_set.instances]
            stack_set.operations[operation.id] = operation
            for a, r in keys:
                if (a, r) in stack_set.instances:
                    stack_set.instances[(a, r)].last_operation = operation.id
        self.engine.background(lambda: self._run(stack_set, operation))
        return operation

    def _run(self, stack_set: StackSet, operation: Operation) -> None:
        with stack_set.queue:  # managed execution queues; without it _start refused a concurrent operation
            operation.status = "RUNNING"
            order = list(operation.preferences.get("RegionOrder") or [])
            regions = [*order, *sorted({r.region for r in operation.results} - set(order))]
            groups = [[r for r in operation.results if r.region == region] for region in regions]
            failed = False
            if operation.preferences.get("RegionConcurrencyType") == "PARALLEL":
                with futures.ThreadPoolExecutor(max_workers=max(1, len(groups))) as pool:
                    failed = any(list(pool.map(lambda g: self._region(stack_set, operation, g), groups)))
            else:
                for group in groups:
                    if failed:
                        for result in group:
                            self._finish(stack_set, operation, result, "CANCELLED", "Cancelled since failure tolerance has exceeded")
                        continue
                    failed = self._region(stack_set, operation, group)
            with self.lock:
                operation.status, operation.ended = ("FAILED" if failed else "SUCCEEDED"), now()
                if failed:
                    operation.reason = "The Operation failed: the failure tolerance was exceeded in a region"
                if operation.action == "DELETE":
                    for result in operation.results:
                        if result.status == "SUCCEEDED":
                            stack_set.instances.pop((result.account, result.region), None)

    def _region(self, stack_set: StackSet, operation: Operation, group: list[Result]) -> bool:
        """Runs one region's accounts; True when more failed than tolerated (the rest of the region is cancelled)."""
        concurrent, tolerance = _concurrency(operation.preferences, len(group))
        failures = 0
        pending = list(group)
        running: dict[futures.Future[bool], Result] = {}
        with futures.ThreadPoolExecutor(max_workers=concurrent) as pool:
            while pending or running:
                while pending and len(running) < concurrent and failures <= tolerance:
                    result = pending.pop(0)
                    running[pool.submit(contextvars.copy_context().run, self._instance, stack_set, operation, result)] = result
                if not running:
                    break
                done, _ = futures.wait(list(running), return_when=futures.FIRST_COMPLETED)
                for future in done:
                    running.pop(future)
                    if not future.result():
                        failures += 1
        for result in pending:
            self._finish(stack_set, operation, result, "CANCELLED", "Cancelled since failure tolerance has exceeded")
        return failures > tolerance

    def _instance(self, stack_set: StackSet, operation: Operation, result: Result) -> bool:
        with self.lock:
            result.status = "RUNNING"
            instance = stack_set.instances[(result.account, result.region)]
            instance.detailed = "RUNNING"
        try:
            with acting_as(result.account):
                reason = self._apply(stack_set, operation, instance)
        except CloudFormationError as error:
            reason = str(error)
        except Exception as error:  # noqa: BLE001 - an engine error fails this instance, named, never the whole operation silently
            reason = f"{type(error).__name__}: {error}"
        self._finish(stack_set, operation, result, "FAILED" if reason else "SUCCEEDED", reason)
        return reason is None

    def _apply(self, stack_set: StackSet, operation: Operation, instance: Instance) -> str | None:
        """Creates, updates or deletes the instance's stack in its account and region; the failure, or None."""
        engine, region = self.engine, instance.region
        if operation.action == "DELETE":
            if instance.stack_id is None or operation.retain:
                return None
            engine.delete_stack(region, instance.stack_id)
            stack = self._wait(instance.stack_id, region)
            return None if stack.status == "DELETE_COMPLETE" else f"Stack {stack.name} ended {stack.status}: {stack.reason}"
        with self.lock:
            request = Request(body=stack_set.body, params={**stack_set.params, **instance.overrides}, tags=list(stack_set.tags),
                              capabilities=list(stack_set.capabilities))
        if instance.stack_id is None:
            name = f"StackSet-{stack_set.name}-{uuid.uuid4()}"
            instance.stack_id = engine.create_stack(region, name, request)
            stack = self._wait(instance.stack_id, region)
            return None if stack.status == "CREATE_COMPLETE" else self._failure(stack)
        try:
            engine.update_stack(region, instance.stack_id, request)
        except ValidationError as error:
            if "No updates are to be performed" in str(error):
                return None
            raise
        stack = self._wait(instance.stack_id, region)
        return None if stack.status == "UPDATE_COMPLETE" else self._failure(stack)

    def _wait(self, stack_id: str, region: str, timeout: float = 1800) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            stack = self.engine.store.find(stack_id, region)
            if not stack.status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                return stack
            time.sleep(0.2)

    @staticmethod
    def _failure(stack: Any) -> str:
        """The instance's reason: the stack's first failed resource, as StackSets reports it
        ("ResourceLogicalId:X, ResourceType:T, ResourceStatusReason:R.")."""
        first = next((e for e in stack.events if str(e.get("ResourceStatus", "")).endswith("_FAILED")
                      and e.get("ResourceType") != "AWS::CloudFormation::Stack"), None)
        if first is None:
            return f"Stack {stack.name} ended {stack.status}: {stack.reason or stack.failure}"
        return (f"ResourceLogicalId:{first['LogicalResourceId']}, ResourceType:{first['ResourceType']}, "
                f"ResourceStatusReason:{first.get('ResourceStatusReason')}.")

    def _finish(self, stack_set: StackSet, operation: Operation, result: Result, status: str, reason: str | None) -> None:
        with self.lock:
            result.status, result.reason = status, reason
            instance = stack_set.instances.get((result.account, result.region))
            if instance is not None:
                instance.detailed = status
                instance.reason = reason
                instance.status = "CURRENT" if status == "SUCCEEDED" else "OUTDATED"
