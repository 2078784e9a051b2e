"""Fixtures for the integration and lifecycle tests; see deployment.py for the targets they read."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from deployment import REPO, Baseline, Deployment, inventory
from strata_local_cloud.launch import AWS_CONFIG
from strata_testing import once_per_run, sam_cli

# Which tests share a pytest-xdist worker (the test command runs `--dist loadgroup`): each module's tests stay
# together, so its module-scoped deployment is made once; every test of any module that reads the one dev deployment
# (`deployed` below, or `baseline` on it) joins one group, so they share that deployment too. The tests that change it
# (marked `mutates_shared_deployment`: an update, a refused update, an environment beside it, its deletion) run after
# every reader, in the order their module lists them.
SHARED = ("deployed", "baseline")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks into the node IDs
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent == Path(__file__).parent and not item.get_closest_marker("xdist_group"):
            shared = any(name in getattr(item, "fixturenames", ()) for name in SHARED)
            item.add_marker(pytest.mark.xdist_group("integration-shared-dev" if shared else f"integration-{item.path.stem}"))
    items.sort(key=lambda item: item.get_closest_marker("mutates_shared_deployment") is not None)  # stable: order kept otherwise


def _sam_build(*args: str) -> None:
    # the local config-envs name the local cloud's own profile (samconfig.toml), which sam build resolves too
    subprocess.run(sam_cli("build", *args), cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_CONFIG_FILE": str(AWS_CONFIG), "AWS_SHARED_CREDENTIALS_FILE": os.devnull})


@pytest.fixture(scope="session")
def sam_build() -> Path:
    """`sam build` of the checkout (the function bundles come from the turbo build the test command ran first),
    once per test run: the workers share .aws-sam/build."""
    missing = [p for p in REPO.glob("packages/*/Makefile") if not (p.parent / "dist" / "index.js").exists()]
    if missing:
        raise RuntimeError(f"function bundles missing ({[str(p.parent.name) for p in missing]}): run `npx turbo run build` first")
    once_per_run("sam-build", _sam_build)
    return REPO / ".aws-sam" / "build"


@pytest.fixture(scope="session")
def account_build(sam_build: Path) -> Path:
    """`sam build --config-env account-local` (the account layer's own build directory, .aws-sam/account/build)."""
    once_per_run("sam-build-account", lambda: _sam_build("--config-env", "account-local"))
    return REPO / ".aws-sam" / "account" / "build"


@pytest.fixture(scope="session")
def deployed(sam_build: Path, account_build: Path) -> Iterator[Deployment]:
    """The account layer and the dev baseline in one local cloud, deployed once: for the tests that only read it (and
    create nothing that outlives them: the change-set guard deletes its change sets), then for those that change it,
    last (`mutates_shared_deployment`), the last of all deleting it. `before` is the region with the account layer alone."""
    deployment = Deployment("integration")
    try:
        deployment.deploy_account()
        deployment.before = inventory(deployment.client)
        deployment.sam("deploy", "--config-env", "local")
        yield deployment
    finally:
        deployment.stop()


@pytest.fixture(scope="session")
def baseline(request: pytest.FixtureRequest) -> Iterator[Baseline]:
    if os.environ.get("STRATA_INTEGRATION_TARGET") == "aws":
        session = boto3.session.Session()
        if session.get_credentials() is None:
            pytest.fail("STRATA_INTEGRATION_TARGET=aws but no AWS credentials are configured")
        found = Baseline.read(session.client, os.environ.get("STRATA_STACK_NAME", "strata-dev"))
        found.account = os.environ.get("STRATA_ACCOUNT_STACK_NAME", found.account)
        yield found
        return
    deployment: Deployment = request.getfixturevalue("deployed")
    yield Baseline.read(deployment.client, "strata-local")
