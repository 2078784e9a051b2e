"""Every sample event in events/ runs through the Docker-free invoke command against the local cloud, and
the function answers exactly once with the status the event leads to."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from strata_testing import REPO

pytestmark = pytest.mark.integration

EVENTS = sorted((REPO / "events").glob("*.json"))

# Expected status per event: the sample lockdown (and deletion protection) targets a group that does not exist in a fresh local
# cloud, so its create and update must fail naming it; the rest succeed (delete is a no-op everywhere; the
# bucket emptier's delete finds no such bucket, which is done).
EXPECTED = {
    "default-sg-lockdown-create": ("FAILED", "does not exist in this account and region"),
    "default-sg-lockdown-update": ("FAILED", "does not exist in this account and region"),
    # the sample load balancer and database do not exist in a fresh local cloud either
    "deletion-protection-create": ("FAILED", "could not turn deletion protection on for load balancer"),
    "deletion-protection-update": ("FAILED", "could not turn deletion protection on for load balancer"),
}


def invoke(event: Path) -> tuple[int, dict]:
    function = event.stem.rsplit("-", 1)[0]
    out = subprocess.run(
        ["node", "tools/invoke.mjs", function, str(event), "--local-cloud", "--timeout", "60"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    marker = "response sent to CloudFormation"
    assert marker in out.stdout, out.stdout[-3000:] + out.stderr[-3000:]
    body = out.stdout.split(marker, 1)[1].split("\n", 1)[1]
    return out.returncode, json.loads(body)


def test_there_are_create_update_and_delete_events_for_each_function() -> None:
    functions = sorted(p.name for p in (REPO / "packages").iterdir() if (p / "Makefile").exists())
    assert functions == ["az-discovery", "default-sg-lockdown", "deletion-protection", "ebs-default-encryption", "empty-bucket-on-delete",
                         "iam-password-policy", "rds-engine-version", "s3-account-public-access-block", "tls-verification"]
    for function in functions:
        for kind in ("create", "update", "delete"):
            assert (REPO / "events" / f"{function}-{kind}.json").is_file(), f"events/{function}-{kind}.json is missing"


@pytest.mark.parametrize("event", EVENTS, ids=[e.stem for e in EVENTS])
def test_event_gets_exactly_one_answer(event: Path) -> None:
    code, response = invoke(event)
    status, reason = EXPECTED.get(event.stem, ("SUCCESS", None))
    assert response["Status"] == status, response
    assert code == (0 if status == "SUCCESS" else 2)
    assert response["RequestId"] == json.loads(event.read_text())["RequestId"]
    if reason:
        assert reason in response["Reason"]
    if event.stem == "tls-verification-create":
        assert response["Data"]["Summary"].startswith("report: ")
        assert response["Data"]["DatabaseTls"].startswith("fail: ")
