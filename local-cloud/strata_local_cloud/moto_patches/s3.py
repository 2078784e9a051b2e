"""S3: bucket policies evaluated as S3 evaluates them, and moto 5.2.5's logging-permission check fixed.

Each patch names the moto function it replaces and why; remove it when the pinned moto has the fix.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from moto.s3.models import FakeBucket
from moto.s3.utils import LOGGING_SERVICE_PRINCIPAL

if TYPE_CHECKING:
    from ..dataplane import DataPlane


def _log_permissions_enabled_policy(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
    """moto's version calls .get() on Principal and fails with HTTP 500 when a statement has `Principal: "*"`
    (as every TLS-only deny statement does). Same rule otherwise: an Allow of s3:PutObject to the logging
    service on the target bucket's objects."""
    if not target_bucket.policy:
        return False
    wanted = {f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}*",
              f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/*", f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"}
    for stmt in json.loads(target_bucket.policy.decode())["Statement"]:
        principal: Any = stmt.get("Principal", {})
        services = principal.get("Service") if isinstance(principal, dict) else None
        services = services if isinstance(services, list) else [services]
        actions = stmt.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        resources = stmt.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        if LOGGING_SERVICE_PRINCIPAL in services and stmt.get("Effect") == "Allow" and "s3:PutObject" in actions and wanted & set(resources):
            return True
    return False


# The request context a bucket policy is evaluated against. Every AWS SDK and the AWS CLI reach S3 endpoints
# over HTTPS, so on AWS their requests carry aws:SecureTransport=true; the local cloud's plain HTTP on
# loopback is the emulator's own transport, not the request's, and is not held against it.
S3_REQUEST_CONTEXT = {"aws:securetransport": "true"}


def _matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard matching (* any run, ? one character); action names are case-insensitive, ARNs are not."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _condition_holds(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    """IAM condition evaluation for the operators Strata's bucket policies use. A key absent from the request
    context makes its condition false, except under ...IfExists and Null
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)."""
    for operator, pairs in condition.items():
        base, if_exists = (operator[:-8], True) if operator.endswith("IfExists") else (operator, False)
        for key, expected in pairs.items():
            wanted = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            actual = context.get(key.lower())
            if base == "Null":
                if (actual is None) != (wanted[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if if_exists:
                    continue
                return False
            if base == "Bool":
                ok = actual.lower() in (w.lower() for w in wanted)
            elif base in ("StringEquals", "ArnEquals"):
                ok = actual in wanted
            elif base in ("StringLike", "ArnLike"):
                ok = any(_matches(w, actual) for w in wanted)
            elif base in ("StringNotEquals", "ArnNotEquals"):
                ok = actual not in wanted
            elif base in ("StringNotLike", "ArnNotLike"):
                ok = not any(_matches(w, actual) for w in wanted)
            else:
                raise NotImplementedError(f"condition operator {operator} is not evaluated by the local cloud (moto_patches/s3.py)")
            if not ok:
                return False
    return True


def bucket_permission(policy: str, action: str, resource: str, context: dict[str, str]) -> str:
    """DENIED, PERMITTED or NEUTRAL for a request by this account's own principal. moto's own evaluation
    ignores the Bool operator, so a TLS-only deny (`Bool: aws:SecureTransport false`) denied every object
    request over any transport. Explicit deny wins, then allow
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html). Statements
    naming another principal (a service, an account) do not apply to the caller."""
    allowed = False
    for stmt in json.loads(policy).get("Statement", []):
        principal = stmt.get("Principal")
        if principal not in ("*", {"AWS": "*"}):
            continue
        actions = stmt.get("Action", [])
        resources = stmt.get("Resource", [])
        if not any(_matches(a, action, ignore_case=True) for a in (actions if isinstance(actions, list) else [actions])):
            continue
        if not any(_matches(r, resource) for r in (resources if isinstance(resources, list) else [resources])):
            continue
        if not _condition_holds(stmt.get("Condition") or {}, context):
            continue
        if stmt.get("Effect") == "Deny":
            return "DENIED"
        allowed = True
    return "PERMITTED" if allowed else "NEUTRAL"


def _get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    from moto.iam.access_control import PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    return PermissionResult[bucket_permission(self.policy.decode(), action, resource, S3_REQUEST_CONTEXT)]


def install(plane: DataPlane) -> None:
    FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)  # type: ignore[method-assign]
    FakeBucket.get_permission = _get_permission  # type: ignore[method-assign]
