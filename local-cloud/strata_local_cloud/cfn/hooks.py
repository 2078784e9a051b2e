"""CloudFormation Guard hooks (AWS::CloudFormation::GuardHook): Guard rules run before each resource a stack
creates or updates in the hook's account and region, as CloudFormation runs them.

What CloudFormation does (https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/guard-hooks.html):
an ENABLED hook whose TargetOperations include RESOURCE, and whose TargetFilters (Actions, TargetNames) and
StackFilters match, is invoked before the resource is provisioned (CREATE_PRE_PROVISION, UPDATE_PRE_PROVISION,
DELETE_PRE_PROVISION). The hook reads its rules from RuleLocation with its ExecutionRole and evaluates them with
the Guard engine against the resource input (HookContext, Resources.<logical id>.ResourceType/ResourceProperties;
https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/guard-hooks-write-rules.html). The stack
events carry HookType, HookStatus (HOOK_COMPLETE_SUCCEEDED, HOOK_COMPLETE_FAILED, HOOK_FAILED),
HookStatusReason ("Hook failed with message: Template failed validation, the following rule(s) failed: ..."),
HookInvocationPoint and HookFailureMode. With FailureMode FAIL a failed hook fails the resource ("The following
hook(s) failed: [<alias>]"); with WARN the operation goes on.

The local cloud runs the real Guard engine (cfn-guard, installed by tools/setup.sh) on the resolved properties.
Not emulated: STACK and CHANGE_SET targets, Cloud Control API targets, StackFilters, the Options input parameter
files, LogBucket reports, and hooks activated from the registry (AWS::CloudFormation::HookTypeConfig).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..rules import rule
from .context import current_account
from .errors import ResourceFailure, Unsupported

GUARD_HOOK = rule(
    "cloudformation-guard-hook", "service", ("AWS::CloudFormation::GuardHook",),
    "a resource a FAIL-mode Guard hook's rules find non-compliant (the resource fails: \"The following hook(s) failed: "
    "[<alias>]\"); in WARN mode the hook's failure is reported and the resource is provisioned",
    "https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/guard-hooks.html; "
    "https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/guard-hooks-write-rules.html")

HOOKS_PRINCIPAL = "hooks.cloudformation.amazonaws.com"


@dataclass
class Hook:
    alias: str
    arn: str
    region: str
    props: dict[str, Any]

    @property
    def mode(self) -> str:
        return str(self.props.get("FailureMode", "WARN"))

    def targets(self, resource_type: str, action: str) -> bool:
        if self.props.get("HookStatus") != "ENABLED" or "RESOURCE" not in (self.props.get("TargetOperations") or []):
            return False
        filters = self.props.get("TargetFilters") or {}
        actions = filters.get("Actions") or ["CREATE", "UPDATE", "DELETE"]
        names = filters.get("TargetNames") or []
        # Filters given as a list of Targets (TargetName, Action, InvocationPoint) select by pairs.
        pairs = [(t.get("TargetName"), t.get("Action")) for t in filters.get("Targets") or []]
        if pairs:
            return any(n in (resource_type, None) and a in (action, None) for n, a in pairs)
        return action in actions and (not names or resource_type in names)


@dataclass
class Outcome:
    hook: Hook
    status: str  # HOOK_COMPLETE_SUCCEEDED | HOOK_COMPLETE_FAILED | HOOK_FAILED
    reason: str

    @property
    def blocks(self) -> bool:
        return self.status != "HOOK_COMPLETE_SUCCEEDED" and self.hook.mode == "FAIL"


@dataclass
class Hooks:
    """The Guard hooks of the local cloud's account, by region and alias (the provider registers them)."""

    hooks: dict[tuple[str, str, str], Hook] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # A hook is an account's and a region's: it runs on that account's stack operations in that region only.
    def register_hook(self, region: str, alias: str, arn: str, props: dict[str, Any]) -> None:
        with self.lock:
            self.hooks[(current_account(), region, alias)] = Hook(alias, arn, region, dict(props))

    def forget_hook(self, region: str, alias: str) -> None:
        with self.lock:
            self.hooks.pop((current_account(), region, alias), None)

    def has_hook(self, region: str, alias: str) -> bool:
        with self.lock:
            return (current_account(), region, alias) in self.hooks

    def matching(self, region: str, resource_type: str, action: str) -> list[Hook]:
        where = (current_account(), region)
        with self.lock:
            return [h for (a, r, _), h in sorted(self.hooks.items()) if (a, r) == where and h.targets(resource_type, action)]


def guard_binary() -> str:
    """cfn-guard from the project virtualenv (tools/setup.sh installs it there) or the PATH; loud when missing."""
    beside = Path(sys.executable).parent / "cfn-guard"
    found = str(beside) if beside.exists() else shutil.which("cfn-guard")
    if not found:
        raise Unsupported("the local cloud runs Guard hooks with cfn-guard, which is not installed: run bash tools/setup.sh")
    return found


def hook_input(account: str, stack_id: str, hook: Hook, logical_id: str, resource_type: str, props: dict[str, Any], action: str,
               previous: dict[str, Any] | None) -> dict[str, Any]:
    """The Guard resource input a hook evaluates (guard-hooks-write-rules.html, "Guard resource input syntax")."""
    doc: dict[str, Any] = {
        "HookContext": {"AWSAccountID": account, "StackId": stack_id, "HookTypeName": hook.alias, "HookTypeVersion": "00000001",
                        "InvocationPoint": f"{action}_PRE_PROVISION", "TargetName": resource_type, "TargetType": "RESOURCE",
                        "TargetLogicalId": logical_id, "ChangeSetId": ""},
        "Resources": {logical_id: {"ResourceType": resource_type, "ResourceProperties": props}},
    }
    if previous is not None:
        doc["Previous"] = {"ResourceLogicalID": logical_id, "ResourceType": resource_type, "ResourceProperties": previous}
    return doc


def failed_rules(rules: str, document: dict[str, Any]) -> list[str]:
    """The names of the rules the Guard engine finds non-compliant for `document`."""
    with tempfile.TemporaryDirectory(prefix="strata-guard-") as tmp:
        rules_file, data_file = Path(tmp) / "rules.guard", Path(tmp) / "input.json"
        rules_file.write_text(rules)
        data_file.write_text(json.dumps(document))
        out = subprocess.run([guard_binary(), "validate", "--rules", str(rules_file), "--data", str(data_file), "--output-format", "json",
                              "--structured", "--show-summary", "none"], capture_output=True, text=True, timeout=60, check=False)
    try:
        reports = json.loads(out.stdout)
    except json.JSONDecodeError as error:
        raise ResourceFailure(f"the Guard rules could not be evaluated: {(out.stderr or out.stdout).strip()[:500]}") from error
    return sorted({c["Rule"]["name"] for r in reports for c in r.get("not_compliant", []) if "Rule" in c})


def reason_for(rules_failed: list[str]) -> str:
    # The HookStatusReason AWS gives (without a LogBucket, no report location follows).
    return f"Hook failed with message: Template failed validation, the following rule(s) failed: {', '.join(rules_failed)}."


def _read_rules(p: Any, hook: Hook) -> str:
    """The rules at RuleLocation, read as the hook reads them: with its ExecutionRole, which must trust the hooks
    service and be allowed s3:GetObject on the object (guard-hooks-prepare-to-create-hook.html, execution role)."""
    from ..iam_eval import Principal, Request, allowed, evaluate
    from ..moto_patches.permissions import identity_policies, role_by_arn

    uri = str((hook.props.get("RuleLocation") or {}).get("Uri", ""))
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ResourceFailure(f"RuleLocation.Uri {uri!r} is not an s3://bucket/key location")
    bucket, key = uri[5:].split("/", 1)
    role = role_by_arn(p.account, str(hook.props.get("ExecutionRole", "")))
    # Wording ours: AWS reports a hook that cannot read its rules as HOOK_FAILED; its exact text is not documented.
    if role is None or evaluate(role.assume_role_policy_document, Request(Principal(service=HOOKS_PRINCIPAL), "sts:AssumeRole",
                                                                          context={"aws:SourceAccount": p.account})) != "PERMITTED":
        raise ResourceFailure(f"the hook cannot assume its ExecutionRole {hook.props.get('ExecutionRole')} (trust {HOOKS_PRINCIPAL})")
    if not allowed(identity_policies(role), Request(Principal(arn=role.arn), "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"),
                   resource_policy=False):
        raise ResourceFailure(f"AccessDenied: the hook's ExecutionRole may not s3:GetObject {uri}")
    try:
        return str(p.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode())
    except Exception as error:  # NoSuchKey, NoSuchBucket: the hook fails, naming the location
        raise ResourceFailure(f"the Guard rules at {uri} cannot be read: {error}") from error


def invoke(p: Any, hook: Hook, stack_id: str, logical_id: str, resource_type: str, props: dict[str, Any], action: str,
           previous: dict[str, Any] | None) -> Outcome:
    """One hook invocation: HOOK_COMPLETE_SUCCEEDED or HOOK_COMPLETE_FAILED from the Guard engine's verdict, HOOK_FAILED
    when the hook could not run (its rules unreadable)."""
    try:
        rules = _read_rules(p, hook)
    except ResourceFailure as error:
        return Outcome(hook, "HOOK_FAILED", str(error))
    failed = failed_rules(rules, hook_input(p.account, stack_id, hook, logical_id, resource_type, props, action, previous))
    if failed:
        return Outcome(hook, "HOOK_COMPLETE_FAILED", reason_for(failed))
    return Outcome(hook, "HOOK_COMPLETE_SUCCEEDED", "Hook succeeded with message: Successful validation")


def blocked_reason(outcomes: list[Outcome]) -> str | None:
    """The resource's status reason when FAIL-mode hooks failed ("The following hook(s) failed: [<alias>, ...]")."""
    blocking = [o.hook.alias for o in outcomes if o.blocks]
    return f"The following hook(s) failed: [{', '.join(blocking)}]" if blocking else None
