"""Paths and tools shared by the Python test suites (importable; conftest modules are not)."""

from __future__ import annotations

import sys
from pathlib import Path

from strata_local_cloud.testing import wait_stack  # noqa: F401 - the one stack waiter, re-exported for the suites

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"


def tool(name: str) -> str:
    """A tool from the project virtualenv the tests run in (cfn-lint, sam)."""
    path = VENV_BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `bash tools/setup.sh` first")
    return str(path)
