"""Shared pytest fixtures: paths to the project's tools and a moto server the tests start and stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"


def tool(name: str) -> str:
    """A tool from the project virtualenv the tests run in (cfn-lint, sam, moto_server)."""
    path = VENV_BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `bash tools/setup.sh` first")
    return str(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server with the local-cloud extensions on a free loopback port for the whole session; stopped (and its log shown on failure) after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(REPO / ".strata" / "moto-test.log", "w") if (REPO / ".strata").is_dir() else subprocess.DEVNULL
    env = {**os.environ, "PYTHONPATH": str(REPO / "tools" / "local-cloud")}
    proc = subprocess.Popen([sys.executable, "-m", "strata_local_cloud", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start on {url}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture()
def aws_env(moto_server: str) -> dict[str, str]:
    """Environment for a subprocess that must talk to the moto server and never to AWS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=moto_server,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        SAM_CLI_TELEMETRY="0",
    )
    return env
