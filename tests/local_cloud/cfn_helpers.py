"""Waiting for stacks and reading their failures, for the local-cloud tests."""

from __future__ import annotations

import time
from typing import Any


def wait(cf: Any, stack: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        s = cf.describe_stacks(StackName=stack)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return s
        time.sleep(0.1)


def reasons(cf: Any, stack: str) -> list[str]:
    return [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName=stack)["StackEvents"] if "FAILED" in e["ResourceStatus"]]
