"""Which Node.js runs a function: the one its runtime names. Lambda runs a `nodejs<N>.x` function on Node.js N
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html), whatever Node the machine's own tools use, so
the local cloud does too: a function's code meets the same language, globals and built-in modules it meets on AWS.

Looked for, in order: `<dir>/<runtime>/bin/node` for each directory in STRATA_LOCAL_CLOUD_RUNTIMES (separated by
the path separator), then in `runtimes/` of the local cloud's Python environment (tools/setup.sh links
.strata/runtimes there, with nodejs22.x unpacked from the Node.js project's pinned build on npm); then the `node` on
PATH if its major version is N. None found: the invocation fails and says how to get one, never running the
function on another Node.js."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..cfn.errors import ResourceFailure

NODE_RUNTIME = re.compile(r"nodejs(\d+)\.x")


def directories() -> list[Path]:
    configured = [Path(d) for d in os.environ.get("STRATA_LOCAL_CLOUD_RUNTIMES", "").split(os.pathsep) if d]
    return [*configured, Path(sys.prefix) / "runtimes"]


@functools.cache
def _major(node: str) -> str | None:
    """The major version of the Node.js at this path (`node --version` prints v22.23.5), once per process."""
    try:
        printed = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.fullmatch(r"v(\d+)\.\d+\.\d+\S*", printed.strip())
    return found.group(1) if found else None


def node_for(runtime: str) -> str:
    """The path of the Node.js that runs functions of `runtime` (nodejs22.x), or a ResourceFailure naming the fix."""
    matched = NODE_RUNTIME.fullmatch(runtime)
    if not matched:
        raise ResourceFailure(f"the local cloud runs Node.js functions only (a nodejs<N>.x runtime); this one's runtime is {runtime!r}")
    major = matched.group(1)
    for directory in directories():
        candidate = directory / runtime / "bin" / "node"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    on_path = shutil.which("node")
    if on_path and _major(on_path) == major:
        return on_path
    found = f"the node on PATH is Node.js {_major(on_path)}" if on_path else "there is no node on PATH"
    raise ResourceFailure(
        f"the local cloud runs {runtime} functions on Node.js {major}, as Lambda does, and found none ({found}): run "
        f"bash tools/setup.sh, which unpacks it into .strata/runtimes/{runtime}, or name a directory holding "
        f"{runtime}/bin/node in STRATA_LOCAL_CLOUD_RUNTIMES")
