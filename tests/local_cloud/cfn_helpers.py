"""Waiting for stacks and reading their failures, for the local-cloud tests."""

from __future__ import annotations

from typing import Any

from strata_testing import wait_stack as wait  # noqa: F401 - re-exported for the local-cloud tests


def reasons(cf: Any, stack: str) -> list[str]:
    return [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName=stack)["StackEvents"] if "FAILED" in e["ResourceStatus"]]
