"""Shared pytest fixtures: the local cloud the tests start and stop, and an environment pointing at it."""

from __future__ import annotations

import os
import sys
from typing import Iterator

import pytest

from strata_testing import REPO


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The local cloud (moto with Strata's extensions) on a free loopback port for the whole session."""
    sys.path.insert(0, str(REPO / "tools" / "local-cloud"))
    from strata_local_cloud.launch import LocalCloud

    (REPO / ".strata").mkdir(exist_ok=True)
    cloud = LocalCloud(log=REPO / ".strata" / "local-cloud-test.log")
    try:
        yield cloud.url
    finally:
        cloud.stop()


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
