"""Resource providers: one class per CloudFormation type, each calling the emulated service APIs.

A type without a provider fails the deploy (never a silent skip). Which changes replace a resource
and which update it in place is decided by ..replacement from the registry schemas; a provider's
update() applies an in-place change through the service's own update APIs. Providers see only the
narrow context in ..context (Provision), never the engine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..context import Provision
from ..errors import Unsupported
from ..replacement import changed, updatable

__all__ = ["Provider", "Provision", "Tracked", "as_bool", "as_int", "changed", "compact", "dropped_tags", "found", "provider_for", "register", "supported_types"]


class Provider:
    type = ""
    upsert = False  # True when create() may be called again to apply an update (put-style APIs)
    # The properties update() applies in place. CloudFormation updates in place every property the registry
    # schema does not mark create-only; a change to one the provider does not list is refused with a clear
    # reason (never applied half-way, never silently ignored). Put-style providers apply the whole schema.
    in_place: frozenset[str] = frozenset()
    # The property that names the resource when the template sets it (the registry schema's primaryIdentifier or
    # the name the service keys it by). A create under a name that exists is refused by pre-deployment
    # validation and by the handler ("Resource of type 'T' with identifier 'N' already exists."); exists() says
    # whether a resource of this type has that name in the region.
    name_property: str | None = None
    # Properties the provider applies outside create() (at delete, say): not read at create, yet not ignored.
    applied_later: frozenset[str] = frozenset()

    def exists(self, p: Provision, name: str) -> bool:
        raise NotImplementedError(f"{self.type} names its resources by {self.name_property} but has no exists()")

    def taken(self, p: Provision, props: dict[str, Any]) -> str | None:
        """The custom name `props` give the resource when a resource of this type already has it (values not known
        yet are never taken)."""
        name = props.get(self.name_property) if self.name_property else None
        return name if isinstance(name, str) and self.exists(p, name) else None

    def updates_in_place(self) -> frozenset[str]:
        return updatable(self.type) if self.upsert else self.in_place

    def check_in_place(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        missing = changed(old, new) - self.updates_in_place()
        if missing:
            raise Unsupported(f"the local cloud cannot update {sorted(missing)} of {self.type} in place (CloudFormation does: the "
                              "registry schema does not mark them create-only); add it to the provider's update")

    def create(self, p: Provision, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def update(self, p: Provision, physical: str, old: dict[str, Any], new: dict[str, Any], attrs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if self.upsert:
            return self.create_named(p, physical, new)
        # check_in_place refused every change this provider does not list, so only a provider that lists
        # properties in in_place without applying them in an update() of its own gets here.
        raise NotImplementedError(f"{self.type} lists {sorted(self.in_place)} in in_place but has no update()")

    def create_named(self, p: Provision, physical: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return self.create(p, p.logical_id or "", props)

    def delete(self, p: Provision, physical: str, props: dict[str, Any], attrs: dict[str, Any]) -> None:
        raise NotImplementedError

    def delete_with_snapshot(self, p: Provision, physical: str, props: dict[str, Any], attrs: dict[str, Any]) -> None:
        """DeletionPolicy Snapshot on a type without snapshots deletes, as CloudFormation does."""
        self.delete(p, physical, props, attrs)


class Tracked(dict[str, Any]):
    """The properties a provider's create() is given, remembering which top-level ones it read: a property it never
    reads is one the local cloud does not apply, and the create fails naming it rather than succeeding without it.
    Reading every key (items(), keys(), iteration, copying) counts as reading them all."""

    def __init__(self, props: dict[str, Any]) -> None:
        super().__init__(props)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)

    def _all(self) -> None:
        self.read.update(super().keys())

    def keys(self) -> Any:
        self._all()
        return super().keys()

    def items(self) -> Any:
        self._all()
        return super().items()

    def values(self) -> Any:
        self._all()
        return super().values()

    def __iter__(self) -> Any:
        self._all()
        return super().__iter__()

    def copy(self) -> dict[str, Any]:
        self._all()
        return dict(super().items())

    def unread(self) -> list[str]:
        return sorted(set(super().keys()) - self.read)


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
        accessanalyzer,
        autoscaling,
        cloudformation,
        cloudtrail,
        cloudwatch,
        config,
        custom,
        ec2,
        elbv2,
        guardduty,
        iam,
        kms,
        lambda_,
        logs,
        rds,
        s3,
        securityhub,
        sns,
        ssm,
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


def found(read: Callable[[], Any], missing: type[Exception] | tuple[type[Exception], ...]) -> bool:
    """Whether a describe/get call finds its resource: `missing` is the service's not-found error."""
    try:
        read()
    except missing:
        return False
    return True


def dropped_tags(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The tag keys an update removes (the services' tag APIs add and overwrite; removal is a call of its own)."""
    kept = {t["Key"] for t in new.get("Tags") or []}
    return [t["Key"] for t in old.get("Tags") or [] if t["Key"] not in kept]


def compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def as_bool(v: Any) -> bool:
    return v is True or str(v).lower() == "true"


def as_int(v: Any) -> int | None:
    return None if v is None else int(v)
