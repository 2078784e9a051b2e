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


def _outputs(stack):
    return {f"Outputs.{o['OutputKey']}": o["OutputValue"] for o in stack.outputs}


@register
class Stack(Provider):
    type = "AWS::CloudFormation::Stack"

    def create(self, p, logical_id, props):
        child = p.engine.create_nested(p.stack, logical_id, read_template_url(p, props["TemplateURL"]), _params(props))
        return child.id, _outputs(child)

    def update(self, p, physical, old, new, attrs):
        child = p.engine.stacks[physical]
        p.engine.update_nested(child, read_template_url(p, new["TemplateURL"]), _params(new), p.stack.tags)
        return physical, _outputs(child)

    def delete(self, p, physical, props, attrs):
        p.engine.delete_nested(physical, rollback=p.rolling_back)


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
