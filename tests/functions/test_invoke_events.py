"""Every sample event in events/ runs through the Docker-free invoke command against the local cloud, and
the function answers exactly once with the status the event leads to."""

from __future__ import annotations

import json
import signal
import subprocess
import time
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


# The command the README's "try next" offers runs as offered, starting its own local cloud; every other event runs
# against this worker's one local cloud (`--endpoint`, as against a kept cloud), which spares a start per event.
OWN_CLOUD = {"tls-verification-create"}


def invoke(event: Path, endpoint: str, env: dict[str, str]) -> tuple[int, dict]:
    function = event.stem.rsplit("-", 1)[0]
    target = ["--local-cloud"] if event.stem in OWN_CLOUD else ["--endpoint", endpoint]
    out = subprocess.run(
        ["node", "tools/invoke.mjs", function, str(event), *target, "--timeout", "60"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
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
def test_event_gets_exactly_one_answer(event: Path, moto_server: str, aws_env: dict[str, str]) -> None:
    code, response = invoke(event, moto_server, aws_env)
    status, reason = EXPECTED.get(event.stem, ("SUCCESS", None))
    assert response["Status"] == status, response
    assert code == (0 if status == "SUCCESS" else 2)
    assert response["RequestId"] == json.loads(event.read_text())["RequestId"]
    if reason:
        assert reason in response["Reason"]
    if event.stem == "tls-verification-create":
        assert response["Data"]["Summary"].startswith("report: ")
        # the event's made-up endpoint is unknown to the fresh local cloud, and not looked up in the real DNS
        assert response["Data"]["DatabaseTls"].startswith("fail: "), response["Data"]
        assert "local cloud: no endpoint strata-local-mysql.abcdefghijkl.us-east-1.rds.amazonaws.com:3306 was created here" in response[
            "Data"]["DatabaseTls"]


def test_a_signalled_invoke_stops_the_local_cloud_it_started() -> None:
    """Ctrl-C (or a CI cancel) of `npm run invoke -- ... --local-cloud` leaves no local cloud behind."""
    process = subprocess.Popen(["node", "tools/invoke.mjs", "az-discovery", "events/az-discovery-create.json", "--local-cloud"], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    cloud = None
    while cloud is None and time.monotonic() < deadline and process.poll() is None:
        cloud = next((pid for pid in children(process.pid) if b"strata-local-cloud" in Path(f"/proc/{pid}/cmdline").read_bytes()), None)
        time.sleep(0.05)
    assert cloud is not None, "the invoke started no local cloud"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 128 + signal.SIGINT or process.returncode == -signal.SIGINT
    deadline = time.monotonic() + 15
    while Path(f"/proc/{cloud}").exists() and b"zombie" not in _state(cloud) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{cloud}").exists() or b"zombie" in _state(cloud), f"the local cloud {cloud} outlived the invoke"


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_bytes().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _state(pid: int) -> bytes:
    try:
        return b"zombie" if Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] == b"Z" else b"running"
    except OSError:
        return b"zombie"


def test_the_invoke_command_npm_start_suggests_works_as_offered() -> None:
    import re

    offered = re.search(r"npm run invoke -- (\S+) (\S+) --local-cloud", (REPO / "tools" / "main.sh").read_text())
    assert offered, "tools/main.sh no longer suggests an invoke command"
    done = subprocess.run(["node", "tools/invoke.mjs", offered.group(1), offered.group(2), "--local-cloud"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert '"Status": "SUCCESS"' in done.stdout
