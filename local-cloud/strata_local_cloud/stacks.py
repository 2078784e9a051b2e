"""Watching a stack operation through the CloudFormation API: the tests' fixtures and the fidelity corpus both use it."""

from __future__ import annotations

import time
from typing import Any


def wait_stack(cf: Any, stack: str, timeout: float = 120) -> dict[str, Any]:
    """Polls a stack until it is no longer *_IN_PROGRESS (or the timeout passes) and returns it."""
    deadline = time.monotonic() + timeout
    while True:
        s: dict[str, Any] = cf.describe_stacks(StackName=stack)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return s
        time.sleep(0.1)


def failure_reasons(cf: Any, stack: str) -> list[str]:
    """Every reason a FAILED event of the stack gives."""
    events = cf.describe_stack_events(StackName=stack)["StackEvents"]
    return [e.get("ResourceStatusReason", "") for e in events if "FAILED" in e["ResourceStatus"]]
