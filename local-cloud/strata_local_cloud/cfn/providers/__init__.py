"""Resource providers: one class per CloudFormation type, each calling the emulated service APIs.

A type without a provider fails the deploy (never a silent skip). Replacement follows the type's
registry schema as cfn-lint ships it: a change to a `createOnlyProperties` member replaces the
resource, any other change updates it in place.
"""

from __future__ import annotations

import functools
import random
import string
import threading
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from ..errors import Unsupported

if TYPE_CHECKING:
    from ..engine import Engine, Stack

_clients: dict[tuple[str, str, str], Any] = {}
_clients_lock = threading.Lock()
_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=120)


class Provision:
    """What a provider may use: clients for the emulated services, naming, tags, the engine."""

    def __init__(self, engine: Engine, stack: Stack | None, region: str, logical_id: str | None = None) -> None:
        self.engine, self.stack, self.region, self.logical_id = engine, stack, region, logical_id
        # True while the resource is deleted by the rollback of the operation that created it (a nested
        # stack passes it on: its resources were created by that same operation).
        self.rolling_back = False
        self.physical: str | None = None
        self.attrs: dict[str, Any] = {}

    def created(self, physical: str, attrs: dict[str, Any] | None = None) -> None:
        """Record the physical ID as soon as it exists, so a later step's failure leaves nothing behind:
        the resource is deleted on rollback, as CloudFormation's handlers do."""
        self.physical, self.attrs = physical, dict(attrs or {})

    def client(self, service: str) -> Any:
        key = (service, self.region, self.engine.endpoint())
        with _clients_lock:
            if key not in _clients:
                client = boto3.session.Session().client(
                    service, region_name=self.region, endpoint_url=key[2], aws_access_key_id="testing",
                    aws_secret_access_key="testing", config=_CONFIG)
                client.meta.events.register("provide-client-params.*.*", _coerce_params)
                _clients[key] = client
            return _clients[key]

    def name(self, max_len: int = 64, lower: bool = False, sep: str = "-") -> str:
        """A physical name as CloudFormation generates one: stack-logicalid-RANDOM, cut to the type's limit."""
        tail = "".join(random.choices(string.ascii_uppercase + string.digits, k=12))
        stack = self.stack.name if self.stack else "stack"
        head = f"{stack}{sep}{self.logical_id}"[: max_len - len(tail) - 1]
        value = f"{head}{sep}{tail}"
        return value.lower() if lower else value

    def tags(self, tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
        """Stack tags propagate to every resource that takes tags; the resource's own tags win."""
        merged = {t["Key"]: t["Value"] for t in (self.stack.tags if self.stack else [])}
        merged.update({t["Key"]: str(t["Value"]) for t in tags or []})
        return [{"Key": k, "Value": v} for k, v in merged.items()]


def _coerce(shape: Any, value: Any) -> Any:
    """CloudFormation accepts "14" for an integer and true for a string; the service APIs do not."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _coerce(shape.members[k], v) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_coerce(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _coerce(shape.value, v) for k, v in value.items()}
    if kind in ("integer", "long") and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if kind in ("double", "float") and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "string" and isinstance(value, (bool, int, float)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def _coerce_params(params: dict[str, Any], model: Any, **_: Any) -> None:
    if model.input_shape is not None:
        params.update(_coerce(model.input_shape, params))


class Provider:
    type = ""
    upsert = False  # True when create() may be called again to apply an update (put-style APIs)

    def create(self, p: Provision, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def update(self, p: Provision, physical: str, old: dict[str, Any], new: dict[str, Any], attrs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if self.upsert:
            return self.create_named(p, physical, new)
        raise Unsupported(f"the local cloud cannot update {sorted(changed(old, new))} of {self.type} in place")

    def create_named(self, p: Provision, physical: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return self.create(p, p.logical_id or "", props)

    def delete(self, p: Provision, physical: str, props: dict[str, Any], attrs: dict[str, Any]) -> None:
        raise NotImplementedError

    def delete_with_snapshot(self, p: Provision, physical: str, props: dict[str, Any], attrs: dict[str, Any]) -> None:
        """DeletionPolicy Snapshot on a type without snapshots deletes, as CloudFormation does."""
        self.delete(p, physical, props, attrs)


_REGISTRY: dict[str, Provider] = {}


def register(cls: type[Provider]) -> type[Provider]:
    _REGISTRY[cls.type] = cls()
    return cls


def supported_types() -> list[str]:
    _load()
    return sorted(_REGISTRY)


@functools.cache
def _load() -> None:
    from . import (  # noqa: F401 - importing registers the providers
        autoscaling,
        cloudformation,
        cloudtrail,
        cloudwatch,
        config,
        custom,
        ec2,
        elbv2,
        iam,
        kms,
        lambda_,
        logs,
        rds,
        s3,
        sns,
        wafv2,
    )


def provider_for(resource_type: str) -> Provider:
    _load()
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        return _REGISTRY["AWS::CloudFormation::CustomResource"]
    if resource_type not in _REGISTRY:
        raise Unsupported(f"resource type {resource_type} is not supported by the local cloud (local-cloud/); "
                          "add a provider for it rather than deploying without it")
    return _REGISTRY[resource_type]


@functools.cache
def create_only(resource_type: str) -> frozenset[str]:
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        return frozenset()
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return frozenset(p.split("/")[2] for p in schema.get("createOnlyProperties", []))


def changed(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """The top-level properties whose value differs between two property sets."""
    return {k for k in set(old) | set(new) if old.get(k) != new.get(k)}


def requires_replacement(resource_type: str, old: dict[str, Any], new: dict[str, Any], detail: bool = False) -> Any:
    hit = bool(changed(old, new) & create_only(resource_type))
    if detail:
        return "True" if hit else "False"
    return hit


def compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def as_bool(v: Any) -> bool:
    return v is True or str(v).lower() == "true"


def as_int(v: Any) -> int | None:
    return None if v is None else int(v)
