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

# Every sample succeeds as offered: with --local-cloud, what an event acts on (a VPC's default group; a load
# balancer and a database) is created first from events/prerequisites/<function>.yaml. Delete is a no-op everywhere
# (the bucket emptier's delete finds no such bucket, which is done).
PREREQUISITES = {p.stem for p in (REPO / "events" / "prerequisites").glob("*.yaml")}

# The command the README's "try next" offered runs as offered, starting its own local cloud, and so does every event
# with prerequisites; every other event runs against this worker's one local cloud (`--endpoint`, as against a kept
# cloud), which spares a start per event.
OWN_CLOUD = {"tls-verification-create"} | {e.stem for e in EVENTS if e.stem.rsplit("-", 1)[0] in PREREQUISITES}


def invoke(event: Path, endpoint: str, env: dict[str, str], own_cloud: bool | None = None) -> tuple[int, dict]:
    function = event.stem.rsplit("-", 1)[0]
    target = ["--local-cloud"] if (event.stem in OWN_CLOUD if own_cloud is None else own_cloud) else ["--endpoint", endpoint]
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
    assert response["Status"] == "SUCCESS", response
    assert code == 0
    assert response["RequestId"] == json.loads(event.read_text())["RequestId"]
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


@pytest.mark.parametrize("stem", ["default-sg-lockdown-create", "deletion-protection-create"])
def test_without_its_prerequisites_a_sample_fails_naming_what_is_missing(stem: str, moto_server: str, aws_env: dict[str, str]) -> None:
    """The refusal twin: against a cloud where nothing was created for it (this worker's, by --endpoint), the sample's
    made-up IDs are refused by the service, and the function says so."""
    code, response = invoke(REPO / "events" / f"{stem}.json", moto_server, aws_env, own_cloud=False)
    assert (code, response["Status"]) == (2, "FAILED"), response
    expected = {"default-sg-lockdown-create": "does not exist in this account and region",
                "deletion-protection-create": "could not turn deletion protection on for load balancer"}[stem]
    assert expected in response["Reason"]
