"""What a resource provider may use, and nothing more: the port between the engine and the providers.

A provider gets a `Provision`: clients for the emulated services, CloudFormation's naming and tag
propagation, the stack it works for (id, name, tags), and three narrow services the engine implements:
nested stacks, the registry of Lambda functions custom resources can name as ServiceToken, and the
invoker that runs a custom resource's function. Providers never see the engine, so they cannot reach
into its state and there is no import cycle between them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import random
import string
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3
from botocore.config import Config

from ..accounts import DEFAULT_ACCOUNT, keys_for
from . import inprocess


class NestedStackHost(Protocol):
    """AWS::CloudFormation::Stack: the engine runs a nested stack's operations."""

    def create_nested(self, parent_id: str, logical_id: str, body: str, params: dict[str, str]) -> tuple[str, dict[str, str]]:
        """Creates the stack and returns (stack ID, {"Outputs.X": value}); raises ResourceFailure (with .physical
        set to the stack ID) when the nested stack failed, so the parent's rollback deletes it."""
        ...

    def update_nested(self, stack_id: str, body: str, params: dict[str, str], tags: list[dict[str, str]], rolling_back: bool) -> dict[str, str]:
        ...

    def delete_nested(self, stack_id: str, rolling_back: bool) -> None:
        ...


class FunctionRegistry(Protocol):
    """The Lambda functions the local cloud created, by ARN, so a custom resource can run the one it names."""

    def register_function(self, arn: str, name: str, props: dict[str, Any], region: str) -> None: ...

    def forget_function(self, arn: str) -> None: ...

    def function(self, arn: str) -> dict[str, Any] | None: ...


class CustomResourceInvoker(Protocol):
    def invoke(self, p: Provision, function: dict[str, Any], event: dict[str, Any], service_timeout: int) -> dict[str, Any]: ...


class HookRegistry(Protocol):
    """AWS::CloudFormation::GuardHook: the hooks the engine runs before each resource it provisions (hooks.py)."""

    def register_hook(self, region: str, alias: str, arn: str, props: dict[str, Any]) -> None: ...

    def forget_hook(self, region: str, alias: str) -> None: ...

    def has_hook(self, region: str, alias: str) -> bool: ...


class StackSetHost(Protocol):
    """AWS::CloudFormation::StackSet: the engine's StackSets (stacksets.py), called with the API's arguments; each call
    that starts an operation returns it (its `.id`), and `wait` blocks until it ends."""

    def create(self, region: str, args: dict[str, Any], body: str) -> Any: ...

    def update(self, region: str, args: dict[str, Any], body: str | None) -> Any: ...

    def delete(self, region: str, args: dict[str, Any]) -> None: ...

    def create_instances(self, region: str, args: dict[str, Any]) -> Any: ...

    def delete_instances(self, region: str, args: dict[str, Any]) -> Any: ...

    def find(self, name_or_id: str, region: str) -> Any: ...

    def wait(self, region: str, name: str, operation_id: str) -> Any: ...


@dataclass(frozen=True)
class Services:
    endpoint: Callable[[], str]
    nested: NestedStackHost
    functions: FunctionRegistry
    invoker: CustomResourceInvoker
    hooks: HookRegistry
    stack_sets: StackSetHost


@dataclass(frozen=True)
class StackInfo:
    id: str
    name: str
    tags: list[dict[str, str]] = field(default_factory=list)


# The account a request without other credentials acts in (moto's default), and the one the local cloud's own
# tools and tests use.
ACCOUNT = DEFAULT_ACCOUNT

# The account the current operation acts in: the caller's, chosen by its credentials as moto chooses it (an access
# key issued by STS AssumeRole into a role of another account belongs to that account), set by the API for each
# request and carried into the threads an operation starts (contextvars.copy_context).
_ACTING = contextvars.ContextVar("strata_account", default=ACCOUNT)


def current_account() -> str:
    return _ACTING.get()


@contextlib.contextmanager
def acting_as(account: str) -> Iterator[None]:
    token = _ACTING.set(account)
    try:
        yield
    finally:
        _ACTING.reset(token)


# What CloudFormation acts as in a member account of an organization: the StackSets service-linked role
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html).
MEMBER_ROLE = "aws-service-role/member.org.stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgMember"
_credentials: dict[tuple[str, str], tuple[str, str, str | None]] = {}
_credentials_lock = threading.Lock()


def credentials(account: str, endpoint: str) -> tuple[str, str, str | None]:
    """(access key, secret, session token) that moto maps to `account`: the default account's test keys, or
    keys from STS AssumeRole into the account (accounts.py)."""
    if account == ACCOUNT:
        return "testing", "testing", None
    with _credentials_lock:
        if (account, endpoint) not in _credentials:
            sts = shared_session().client("sts", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="testing",
                                          aws_secret_access_key="testing", config=_CONFIG)
            found = keys_for(endpoint, account, MEMBER_ROLE, sts)
            _credentials[(account, endpoint)] = (found["aws_access_key_id"], found["aws_secret_access_key"], found["aws_session_token"])
        return _credentials[(account, endpoint)]


_clients: dict[tuple[str, str, str, str], Any] = {}
_clients_lock = threading.Lock()
# botocore's data loader with the service models already parsed, when this process was forked from a zygote that
# made it (zygote.preload): a loader is pure data, read from botocore's and boto3's data directories.
preloaded_loader: Any = None


def adopt_preloaded(session: boto3.session.Session) -> boto3.session.Session:
    """`session` (made in this process: its config and credentials are this process's) reads models and endpoint
    data through the zygote's loader, where they are parsed already. Before its first use: the components it makes
    lazily (the endpoint resolver among them) then take their data from that loader too."""
    if preloaded_loader is not None:
        session._session.register_component("data_loader", preloaded_loader)
        session._loader = preloaded_loader
    return session


@functools.cache
def shared_session() -> boto3.session.Session:
    return adopt_preloaded(boto3.session.Session())


_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=120)


def client_for(service: str, region: str, endpoint: str, account: str) -> Any:
    """The one boto3 client of `service` for a region, endpoint and account (made on first use, then shared)."""
    key = (service, region, endpoint, account)
    access, secret, token = credentials(account, endpoint)  # outside the lock: the first call for an account calls STS
    with _clients_lock:
        if key not in _clients:
            # One shared session: its loader parses each botocore model once for every client made from it.
            client = shared_session().client(
                service, region_name=region, endpoint_url=endpoint, aws_access_key_id=access,  # type: ignore[call-overload]
                aws_secret_access_key=secret, aws_session_token=token, config=_CONFIG)
            client.meta.events.register("provide-client-params.*.*", _coerce_params)
            inprocess.attach(client, endpoint)
            _clients[key] = client
        return _clients[key]


class Provision:
    """The provider's view of one resource operation."""

    def __init__(self, services: Services, region: str, stack: StackInfo | None = None, logical_id: str | None = None,
                 resource_type: str | None = None, rolling_back: bool = False) -> None:
        self.services, self.region, self.stack, self.logical_id = services, region, stack, logical_id
        self.resource_type = resource_type
        self.account = current_account()
        # True while the resource is deleted (or updated back) by the rollback of the operation that created
        # (or updated) it; a nested stack passes it on, its resources took part in that same operation.
        self.rolling_back = rolling_back
        self.physical: str | None = None
        self.attrs: dict[str, Any] = {}

    def created(self, physical: str, attrs: dict[str, Any] | None = None) -> None:
        """Record the physical ID as soon as it exists, so a later step's failure leaves nothing behind:
        the resource is deleted on rollback, as CloudFormation's handlers do."""
        self.physical, self.attrs = physical, dict(attrs or {})

    def credentials(self) -> tuple[str, str, str | None]:
        """The keys requests in this operation's account are signed with (for a function's environment)."""
        return credentials(self.account, self.services.endpoint())

    def client(self, service: str) -> Any:
        return client_for(service, self.region, self.services.endpoint(), self.account)

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
