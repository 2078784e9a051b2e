"""Paths and tools shared by the Python test suites (importable; conftest modules are not)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"


def tool(name: str) -> str:
    """A tool from the project virtualenv the tests run in (cfn-lint, sam)."""
    path = VENV_BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `bash tools/setup.sh` first")
    return str(path)


def wait_stack(cf: Any, stack: str, timeout: float = 120) -> dict[str, Any]:
    """Polls a stack until it is no longer *_IN_PROGRESS (or the timeout passes) and returns it."""
    deadline = time.monotonic() + timeout
    while True:
        s = cf.describe_stacks(StackName=stack)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return s
        time.sleep(0.1)
