"""Nested stacks and wait-condition handles."""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote, urlparse

from ..errors import ResourceFailure, StackSetNotFound
from . import Provider, Provision, register

_PATH_STYLE = re.compile(r"^s3[.-]([a-z0-9-]+\.)?amazonaws\.com(\.cn)?$")


def read_template_url(p: Provision, url: str) -> str:
    """TemplateURL as CloudFormation accepts it: path-style or virtual-hosted S3 URLs, read from the emulated S3."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if _PATH_STYLE.match(host) or host in ("localhost", "127.0.0.1"):
        bucket, _, key = parsed.path.lstrip("/").partition("/")
    elif ".s3" in host:
        bucket, key = host.split(".s3", 1)[0], parsed.path.lstrip("/")
    else:
        raise ResourceFailure(f"TemplateURL must be an Amazon S3 URL, got {url}")
    try:
        return p.client("s3").get_object(Bucket=bucket, Key=unquote(key))["Body"].read().decode()
    except Exception as error:
        raise ResourceFailure(f"TemplateURL {url} cannot be read: {error}") from error


def _params(props):
    return {k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in (props.get("Parameters") or {}).items()}


@register
class Stack(Provider):
    type = "AWS::CloudFormation::Stack"
    in_place = frozenset({"TemplateURL", "Parameters"})

    def create(self, p, logical_id, props):
        assert p.stack is not None, "a nested stack always has a parent"
        return p.services.nested.create_nested(p.stack.id, logical_id, read_template_url(p, props["TemplateURL"]), _params(props))

    def update(self, p, physical, old, new, attrs):
        tags = p.stack.tags if p.stack else []
        return physical, p.services.nested.update_nested(physical, read_template_url(p, new["TemplateURL"]), _params(new), tags,
                                                         p.rolling_back)

    def delete(self, p, physical, props, attrs):
        p.services.nested.delete_nested(physical, rolling_back=p.rolling_back)


@register
class WaitConditionHandle(Provider):
    type = "AWS::CloudFormation::WaitConditionHandle"

    def create(self, p, logical_id, props):
        # A handle only names a presigned URL; nothing waits on it unless a WaitCondition does.
        return f"https://cloudformation-waitcondition-{p.region}.s3.amazonaws.com/{uuid.uuid4()}", {}

    def update(self, p, physical, old, new, attrs):
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        return None


@register
class GuardHook(Provider):
    """AWS::CloudFormation::GuardHook: registers the hook the engine runs before each resource (cfn/hooks.py).
    Ref and HookArn are the hook's ARN; Alias is create-only, everything else updates in place (the registry schema)."""

    type = "AWS::CloudFormation::GuardHook"
    in_place = frozenset({"RuleLocation", "LogBucket", "HookStatus", "TargetOperations", "FailureMode", "TargetFilters", "StackFilters",
                          "ExecutionRole", "Options"})
    name_property = "Alias"

    def exists(self, p, name):
        return p.services.hooks.has_hook(p.region, name)

    def create(self, p, logical_id, props):
        alias = props["Alias"]
        arn = f"arn:aws:cloudformation:{p.region}:{p.account}:type/hook/{alias.replace('::', '-')}"
        p.services.hooks.register_hook(p.region, alias, arn, self._settings(props))
        return arn, {"HookArn": arn}

    def update(self, p, physical, old, new, attrs):
        p.services.hooks.register_hook(p.region, new["Alias"], physical, self._settings(new))
        return physical, attrs

    @staticmethod
    def _settings(props):
        """Everything but the Alias (the hook's key). cfn/hooks.py applies RuleLocation, ExecutionRole, FailureMode,
        HookStatus, TargetOperations and TargetFilters; its docstring lists what it does not emulate (StackFilters,
        Options, LogBucket)."""
        return {k: v for k, v in props.items() if k != "Alias"}

    def delete(self, p, physical, props, attrs):
        p.services.hooks.forget_hook(p.region, props["Alias"])


@register
class StackSet(Provider):
    """AWS::CloudFormation::StackSet (service-managed): the StackSet, then its stack instances per StackInstancesGroup,
    each operation waited for; a failed operation fails the resource with the first failed instance's reason."""

    type = "AWS::CloudFormation::StackSet"
    in_place = frozenset({"AutoDeployment", "CallAs", "Capabilities", "Description", "ManagedExecution", "OperationPreferences",
                          "Parameters", "StackInstancesGroup", "Tags", "TemplateBody", "TemplateURL"})
    name_property = "StackSetName"

    def exists(self, p, name):
        try:
            p.services.stack_sets.find(name, p.region)
        except StackSetNotFound:
            return False
        return True

    @staticmethod
    def _body(p, props):
        return props["TemplateBody"] if props.get("TemplateBody") else read_template_url(p, props["TemplateURL"])

    @staticmethod
    def _args(props):
        return {k: v for k, v in {
            "StackSetName": props["StackSetName"], "Description": props.get("Description"), "PermissionModel": props.get("PermissionModel"),
            "CallAs": props.get("CallAs"), "AutoDeployment": props.get("AutoDeployment"), "ManagedExecution": props.get("ManagedExecution"),
            "Capabilities": props.get("Capabilities"), "Tags": props.get("Tags"), "Parameters": props.get("Parameters"),
            "OperationPreferences": props.get("OperationPreferences"),
            # read, so the engine knows they were applied: self-managed StackSets are refused by the StackSets host
            "AdministrationRoleARN": props.get("AdministrationRoleARN"), "ExecutionRoleName": props.get("ExecutionRoleName"),
        }.items() if v is not None}

    def _run(self, p, name, operation, what):
        done = p.services.stack_sets.wait(p.region, name, operation.id)
        if done.status != "SUCCEEDED":
            failed = next((r for r in done.results if r.status == "FAILED"), None)
            detail = f": {failed.account}/{failed.region}: {failed.reason}" if failed else ""
            raise ResourceFailure(f"Stack set operation [{done.id}] ({what}) ended {done.status}{detail}")

    def _groups(self, p, name, props, kind):
        for group in props.get("StackInstancesGroup") or []:
            args = {"StackSetName": name, "CallAs": props.get("CallAs"), "DeploymentTargets": group.get("DeploymentTargets") or {},
                    "Regions": group.get("Regions") or [], "ParameterOverrides": group.get("ParameterOverrides") or [],
                    "OperationPreferences": props.get("OperationPreferences") or {}}
            if kind == "create":
                self._run(p, name, p.services.stack_sets.create_instances(p.region, args), "create stack instances")
            else:
                self._run(p, name, p.services.stack_sets.delete_instances(p.region, {**args, "RetainStacks": False}), "delete stack instances")

    def create(self, p, logical_id, props):
        name = props["StackSetName"]
        created = p.services.stack_sets.create(p.region, self._args(props), self._body(p, props))
        p.created(created.id, {"StackSetId": created.id})
        self._groups(p, name, props, "create")
        return created.id, {"StackSetId": created.id}

    def update(self, p, physical, old, new, attrs):
        name = new["StackSetName"]
        old_groups, new_groups = old.get("StackInstancesGroup") or [], new.get("StackInstancesGroup") or []
        # Instances no longer targeted go first; then the StackSet's template and parameters reach the rest; then new targets.
        self._groups(p, name, {**old, "StackInstancesGroup": [g for g in old_groups if g not in new_groups]}, "delete")
        self._run(p, name, p.services.stack_sets.update(p.region, self._args(new), self._body(p, new)), "update the stack set")
        self._groups(p, name, {**new, "StackInstancesGroup": [g for g in new_groups if g not in old_groups]}, "create")
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        try:
            p.services.stack_sets.find(physical, p.region)
        except StackSetNotFound:  # deleted outside the stack: the delete succeeds
            return
        self._groups(p, props["StackSetName"], props, "delete")
        p.services.stack_sets.delete(p.region, {"StackSetName": props["StackSetName"], "CallAs": props.get("CallAs")})
