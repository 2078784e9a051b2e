"""Every Python command in tools/ starts: `--help` answers. (A script named like a module something imports, as
tools/org.py was, shadows it for every script beside it: `copy` imports `org.python.core`, Jython's.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

from strata_testing import REPO

COMMANDS = sorted((REPO / "tools").glob("*.py"))


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_the_command_answers_help(command):
    done = subprocess.run([sys.executable, str(command), "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("usage: "), done.stdout
