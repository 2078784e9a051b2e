"""IAM policy evaluation for the checks AWS services make on your behalf (key, bucket, trust and identity policies).

Hand-written because neither library at hand covers it: moto's evaluator (moto.iam.access_control) matches
actions and resources but treats every principal other than "*" as unknown and evaluates conditions only for
a few trust-relationship keys (it ignores Bool, so a TLS-only deny denies everything), and iam-ape evaluates
an account's identities, not resource policies naming service principals.

What it does, per https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
an explicit Deny wins, then an Allow, else the request is not allowed (NEUTRAL). Statement elements: Effect,
Principal / NotPrincipal ("*", {"AWS": account, root or role ARN, "*"}, {"Service": name}), Action / NotAction
and Resource / NotResource with IAM wildcards (* and ?, actions case-insensitive), and Condition with the
string, ARN, Bool and Null operators, their IfExists forms and ForAnyValue/ForAllValues over lists.
Not covered (a policy using them fails loudly, never silently allows): numeric and date operators, IpAddress,
policy variables (${aws:username}), permission boundaries, SCPs and session policies.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["DENIED", "PERMITTED", "NEUTRAL"]


@dataclass(frozen=True)
class Principal:
    """Who makes the request: an AWS service (`service`), or an IAM principal of `account` (`arn`)."""

    service: str | None = None
    arn: str | None = None
    account: str | None = None


@dataclass
class Request:
    principal: Principal
    action: str
    resource: str = "*"
    context: dict[str, str | list[str]] = field(default_factory=dict)


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [] if v is None else [v]


def matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard matching (* any run, ? one character); action names are case-insensitive, ARNs are not."""
    if ignore_case and pattern.isascii() and value.isascii():
        pattern, value, ignore_case = pattern.lower(), value.lower(), False  # what IGNORECASE does for ASCII
    head, star, tail = pattern.partition("*")
    if not ignore_case and "?" not in pattern and "*" not in tail:
        # No wildcard, or one star (most policy patterns: "logs:Describe*", "arn:aws:s3:::bucket/*"): compared as
        # strings, the answer the pattern's regular expression gives, without compiling one for each of the
        # hundreds of patterns a managed policy such as AWS_ConfigRole lists, in every local cloud.
        if not star:
            return value == pattern
        return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


@functools.lru_cache(maxsize=8192)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # Kept compiled: a policy can list more patterns than the re module's own cache (512) holds, and each evaluation
    # compiled them all again (py-spy: 3% of a test run's local-cloud CPU, in the delivery channel's check alone).
    rx = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(rx, re.IGNORECASE if ignore_case else 0)


def _principal_matches(spec: Any, who: Principal) -> bool:
    if spec == "*":
        return True
    if not isinstance(spec, dict):
        raise NotImplementedError(f"Principal {spec!r} is not evaluated by the local cloud (iam_eval.py)")
    if who.service is not None and who.service in _list(spec.get("Service")):
        return True
    for aws in _list(spec.get("AWS")):
        if aws == "*":
            return True
        if who.arn is None:
            continue
        if aws == who.arn:
            return True
        # An account ID or its root ARN stands for every principal of that account (the account then delegates
        # through identity policies): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
        if who.account is not None and aws in (who.account, f"arn:aws:iam::{who.account}:root"):
            return True
    return False


_STRING_OPS = {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
               "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike", "Bool"}


def _one(base: str, actual: str, wanted: list[str]) -> bool:
    if base == "Bool":
        return actual.lower() in (w.lower() for w in wanted)
    if base in ("StringEquals", "ArnEquals"):
        return actual in wanted
    if base == "StringEqualsIgnoreCase":
        return actual.lower() in (w.lower() for w in wanted)
    if base in ("StringLike", "ArnLike"):
        return any(matches(w, actual) for w in wanted)
    if base in ("StringNotEquals", "ArnNotEquals"):
        return actual not in wanted
    if base == "StringNotEqualsIgnoreCase":
        return actual.lower() not in (w.lower() for w in wanted)
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(matches(w, actual) for w in wanted)
    raise NotImplementedError(base)


def conditions_hold(condition: dict[str, dict[str, Any]], context: dict[str, str | list[str]]) -> bool:
    """A key absent from the request context makes its condition false, except under ...IfExists and Null
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)."""
    lowered = {k.lower(): v for k, v in context.items()}
    for operator, pairs in condition.items():
        qualifier, _, op = operator.rpartition(":")
        base, if_exists = (op[:-8], True) if op.endswith("IfExists") else (op, False)
        if base != "Null" and base not in _STRING_OPS:
            raise NotImplementedError(f"condition operator {operator} is not evaluated by the local cloud (iam_eval.py)")
        for key, expected in pairs.items():
            wanted = [str(v).lower() if isinstance(v, bool) else str(v) for v in _list(expected)]
            actual = lowered.get(key.lower())
            if base == "Null":
                if (actual is None) != (wanted[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if if_exists or qualifier == "ForAllValues":
                    continue
                return False
            values = _list(actual)
            ok = all(_one(base, str(a), wanted) for a in values) if qualifier == "ForAllValues" else any(_one(base, str(a), wanted) for a in values)
            if not ok:
                return False
    return True


def _statement_applies(stmt: dict[str, Any], req: Request, resource_policy: bool) -> bool:
    if resource_policy or "Principal" in stmt or "NotPrincipal" in stmt:
        if "NotPrincipal" in stmt:
            if _principal_matches(stmt["NotPrincipal"], req.principal):
                return False
        elif not _principal_matches(stmt.get("Principal"), req.principal):
            return False
    if "NotAction" in stmt:
        if any(matches(a, req.action, ignore_case=True) for a in _list(stmt["NotAction"])):
            return False
    elif not any(matches(a, req.action, ignore_case=True) for a in _list(stmt.get("Action"))):
        return False
    if "NotResource" in stmt:
        if any(matches(r, req.resource) for r in _list(stmt["NotResource"])):
            return False
    elif "Resource" in stmt and not any(matches(r, req.resource) for r in _list(stmt["Resource"])):
        return False
    return conditions_hold(stmt.get("Condition") or {}, req.context)


def evaluate(policy: str | dict[str, Any], req: Request, resource_policy: bool = True) -> Decision:
    """DENIED, PERMITTED or NEUTRAL for one policy. `resource_policy` (key, bucket, trust policies) requires each
    statement's Principal to match; identity policies have none."""
    doc = json.loads(policy) if isinstance(policy, str) else policy
    allowed = False
    for stmt in _list(doc.get("Statement")):
        if not _statement_applies(stmt, req, resource_policy):
            continue
        if stmt.get("Effect") == "Deny":
            return "DENIED"
        allowed = True
    return "PERMITTED" if allowed else "NEUTRAL"


def allowed(policies: Sequence[str | dict[str, Any]], req: Request, resource_policy: bool = True) -> bool:
    """Whether the policies together allow the request: no explicit Deny in any, an Allow in at least one."""
    decisions = [evaluate(p, req, resource_policy) for p in policies]
    return "DENIED" not in decisions and "PERMITTED" in decisions
