"""Kept local clouds (`npm start -- --keep`): the variables file it writes reaches that cloud and nothing else,
`npm run local -- status|stop` (tools/local.py) see and stop them; and the guard that keeps `--config-env local`
off real accounts (the strata-local-cloud profile samconfig.toml names)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from strata_testing import REPO, SCRIPT, tool

pytestmark = pytest.mark.integration

LOCAL = REPO / "tools" / "local.py"


def bash(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", f"set -euo pipefail; cd {REPO}; {script}"], env=env, capture_output=True, text=True, timeout=120)


def local(records: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCRIPT, str(LOCAL), *args], env={**os.environ, "STRATA_CLOUDS_DIR": str(records)}, capture_output=True,
                          text=True, timeout=60)


def clean_env(tmp_path: Path) -> dict[str, str]:
    """A shell as a user's: a home of its own, and a real-looking account's keys and profile in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "AKIAREALACCOUNTKEY00", "AWS_SECRET_ACCESS_KEY": "real-secret",
            "AWS_PROFILE": "production", "AWS_SESSION_TOKEN": "real-session", "SAM_CLI_TELEMETRY": "0"}


@pytest.fixture()
def kept(tmp_path: Path):
    """A local cloud started and left running the way main.sh --keep does (the shell starter, then its record)."""
    records = tmp_path / "clouds"
    started = bash(f"source tools/lib/local-cloud.sh; start_local_cloud {tmp_path}/cloud.log; "
                   f"write_local_cloud_env {records}/$LOCAL_CLOUD_PID.env {tmp_path}; echo $LOCAL_CLOUD_PID", env=clean_env(tmp_path))
    assert started.returncode == 0, started.stderr
    pid = int(started.stdout.split()[-1])
    yield records, pid
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def test_the_variables_file_reaches_the_kept_cloud_and_drops_the_real_account(kept, tmp_path):
    records, pid = kept
    record = records / f"{pid}.env"
    text = record.read_text()
    for name in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "SAM_CLI_TELEMETRY", "TURBO_TELEMETRY_DISABLED",
                 "SAM_CLI_POLL_DELAY"):
        assert re.search(rf"\b{name}=", text), name
    # sourced in a shell that had a real account's profile, session and keys: none of them is left
    seen = bash(f"source {record}; env | grep ^AWS_ | sort", env=clean_env(tmp_path))
    assert seen.returncode == 0, seen.stderr
    variables = dict(line.split("=", 1) for line in seen.stdout.splitlines())
    assert "AWS_PROFILE" not in variables and "AWS_SESSION_TOKEN" not in variables
    assert variables["AWS_ACCESS_KEY_ID"] == "testing" and variables["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    # and it reaches the cloud: a stack made through it is listed by status
    made = bash(f"source {record}; {sys.executable} -c \"import boto3; boto3.client('cloudformation').create_stack(StackName='kept-one', "
                "TemplateBody='{\\\"Resources\\\": {\\\"T\\\": {\\\"Type\\\": \\\"AWS::SNS::Topic\\\"}}}')\"", env=clean_env(tmp_path))
    assert made.returncode == 0, made.stderr
    shown = local(records, "status")
    assert shown.returncode == 0
    assert re.search(rf"^pid {pid}  http://127\.0\.0\.1:\d+  since \S+  stacks in us-east-1: kept-one \w+", shown.stdout, re.M), shown.stdout


def test_stop_stops_the_kept_cloud_and_forgets_it(kept):
    records, pid = kept
    refused = local(records, "stop", "1")
    assert refused.returncode == 1 and "not a kept local cloud of this checkout: 1" in refused.stderr
    stopped = local(records, "stop")
    assert stopped.returncode == 0 and f"pid {pid}: stopped" in stopped.stdout
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (records / f"{pid}.env").exists()
    assert "no kept local cloud" in local(records, "status").stdout


def test_a_record_whose_cloud_is_gone_is_removed_by_status(tmp_path):
    records = tmp_path / "clouds"
    records.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (records / f"{dead.pid}.env").write_text("# --keep at 2026-12-02T00:00:00Z\nexport AWS_ENDPOINT_URL=http://127.0.0.1:1\n")
    shown = local(records, "status")
    assert f"pid {dead.pid}: gone" in shown.stdout and not (records / f"{dead.pid}.env").exists()


@pytest.mark.parametrize("env", ["local", "account-local"])
def test_a_local_config_env_without_the_local_cloud_stops_before_any_request(env, tmp_path):
    """The refusal: a real account's variables, no local cloud started. SAM stops on the missing profile."""
    result = subprocess.run([tool("sam"), "deploy", "--config-env", env, "--no-progressbar"], cwd=REPO, env=clean_env(tmp_path),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "The config profile (strata-local-cloud) could not be found" in result.stdout + result.stderr


def test_the_local_profile_without_an_endpoint_goes_to_a_closed_local_port_not_to_aws(tmp_path):
    """Its twin half-way: the profile file without the endpoint variable. botocore takes the profile's endpoint, a closed
    port on this machine, and the profile's keys (the environment's real ones are skipped for a named profile)."""
    script = ("import boto3; s = boto3.session.Session(profile_name='strata-local-cloud'); c = s.client('cloudformation'); "
              "print(c.meta.endpoint_url, s.get_credentials().access_key)")
    env = {**clean_env(tmp_path), "AWS_CONFIG_FILE": str(REPO / "local-cloud" / "strata_local_cloud" / "aws-config")}
    env.pop("AWS_PROFILE")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["http://127.0.0.1:9", "testing"]
