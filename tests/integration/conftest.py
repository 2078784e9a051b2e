"""Fixtures for the integration and lifecycle tests; see deployment.py for the targets they read."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from deployment import REPO, Baseline, Deployment


@pytest.fixture(scope="session")
def sam_build() -> Path:
    """`sam build` of the checkout (the function bundles come from the turbo build the test command ran first)."""
    missing = [p for p in REPO.glob("packages/*/Makefile") if not (p.parent / "dist" / "index.js").exists()]
    if missing:
        raise RuntimeError(f"function bundles missing ({[str(p.parent.name) for p in missing]}): run `npx turbo run build` first")
    subprocess.run([str(Path(sys.executable).parent / "sam"), "build"], cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, "SAM_CLI_TELEMETRY": "0"})
    return REPO / ".aws-sam" / "build"


@pytest.fixture(scope="session")
def account_build(sam_build: Path) -> Path:
    """`sam build --config-env account-local` (the account layer's own build directory, .aws-sam/account)."""
    subprocess.run([str(Path(sys.executable).parent / "sam"), "build", "--config-env", "account-local"], cwd=REPO, check=True,
                   capture_output=True, env={**os.environ, "SAM_CLI_TELEMETRY": "0"})
    return REPO / ".aws-sam" / "account"


@pytest.fixture(scope="session")
def baseline(sam_build: Path, account_build: Path) -> Iterator[Baseline]:
    if os.environ.get("STRATA_INTEGRATION_TARGET") == "aws":
        session = boto3.session.Session()
        if session.get_credentials() is None:
            pytest.fail("STRATA_INTEGRATION_TARGET=aws but no AWS credentials are configured")
        found = Baseline.read(session.client, os.environ.get("STRATA_STACK_NAME", "strata-dev"))
        found.account = os.environ.get("STRATA_ACCOUNT_STACK_NAME", found.account)
        yield found
        return
    deployment = Deployment("integration")
    try:
        deployment.deploy_account()
        deployment.sam("deploy", "--config-env", "local")
        yield Baseline.read(deployment.client, "strata-local")
    finally:
        deployment.stop()
