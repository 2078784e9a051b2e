"""Paths and tools shared by the Python test suites (importable; conftest modules are not)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Callable
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


def sam_cli(*args: str) -> list[str]:
    """The SAM CLI for a command that makes no AWS call (build, validate --lint) or talks to a local cloud:
    `python -m strata_local_cloud.sam`, the same CLI, forked from the test run's zygote when there is one (its modules
    already imported: about a second of CPU less per run)."""
    return [sys.executable, "-m", "strata_local_cloud.sam", *args]


# A project tool (tools/*.py) as the tests run it: [*SCRIPT, path, args...] is `python path args...` (the same argv,
# sys.path, __main__, exit and signals: local-cloud/tests/test_zygote.py), forked from the test run's zygote when there
# is one: boto3 imported and its models parsed already, about 0.3 s of CPU less per run. The user's commands (npm
# start, the README's) run the tools with python itself, as tests/tools/test_main.py and test_commands.py do.
SCRIPT = (sys.executable, "-m", "strata_local_cloud.script")


def zygote_env() -> dict[str, str]:
    """The variable that names the test run's zygote, for a subprocess given an environment of its own."""
    from strata_local_cloud.zygote import ENV

    return {ENV: os.environ[ENV]} if ENV in os.environ else {}


def once_per_run(name: str, make: Callable[[], None]) -> None:
    """Runs `make` once per test run however many pytest-xdist workers ask (the others wait for it): for what every
    worker reads from the checkout, such as `sam build` writing .aws-sam/. Without xdist it simply runs `make`."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:
        make()
        return
    state = REPO / ".strata" / "test-runs"
    state.mkdir(parents=True, exist_ok=True)
    done = state / f"{name}.done"
    with (state / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this worker dies
        try:
            if done.read_text() == run:
                return
        except FileNotFoundError:
            pass
        with contextlib.suppress(FileNotFoundError):
            done.unlink()
        make()
        done.write_text(run)
