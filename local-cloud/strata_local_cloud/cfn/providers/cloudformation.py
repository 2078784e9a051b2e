"""Nested stacks and wait-condition handles."""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote, urlparse

from ..errors import ResourceFailure
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
