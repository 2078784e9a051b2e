"""The starters (Node.js, Python) report why a local cloud that exits before listening did not start: the last lines
of its log, where the cause is, and not only an exit code. The twin: a start that succeeds leaves no scratch files."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from strata_local_cloud.launch import LocalCloud

LAUNCH_CJS = Path(__file__).parents[1] / "launch.cjs"
# Node.js: start, stop, and print what happened as one JSON line.
NODE = """
const { startLocalCloud } = require(process.argv[1]);
startLocalCloud().then(
  async (c) => { await c.stop(); console.log(JSON.stringify({ url: c.url })); },
  (e) => console.log(JSON.stringify({ error: String(e.message) })),
);
"""
# An invalid log level makes the server's logging.basicConfig raise before it listens: a realistic misconfiguration.
BAD_LEVEL = "NOT-A-LEVEL"


def _node(tmp_path: Path, **env: str) -> dict[str, str]:
    result = subprocess.run(["node", "-e", NODE, str(LAUNCH_CJS)], capture_output=True, text=True, timeout=120, check=True,
                            env={**os.environ, "TMPDIR": str(tmp_path), **env})
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_node_starter_reports_the_cause_of_a_failed_start(tmp_path):
    answer = _node(tmp_path, STRATA_LOCAL_CLOUD_LOG=BAD_LEVEL)
    assert "exited (code 1) before listening" in answer["error"]
    assert f"Unknown level: '{BAD_LEVEL}'" in answer["error"]  # the traceback's last line, from its log
    assert not list(tmp_path.glob("strata-local-cloud-url-*"))


def test_the_node_starter_starts_and_leaves_no_scratch_files(tmp_path):
    answer = _node(tmp_path, STRATA_LOCAL_CLOUD_LOG="WARNING")
    assert answer.get("url", "").startswith("http://127.0.0.1:"), answer
    assert not list(tmp_path.glob("strata-local-cloud-url-*"))


def test_the_python_starter_reports_the_cause_of_a_failed_start(tmp_path):
    log = tmp_path / "cloud.log"
    with pytest.raises(RuntimeError, match=f"Unknown level: '{BAD_LEVEL}'"):
        LocalCloud(log=log, env={**os.environ, "STRATA_LOCAL_CLOUD_LOG": BAD_LEVEL})


@pytest.mark.parametrize("warm_up", ["lambda url: None", "lambda url: 1 / 0"], ids=["warmed-up", "warm-up-failed"])
def test_the_collector_off_during_the_start_is_on_again_once_the_cloud_has_warmed_up(warm_up: str) -> None:
    """serve() turns the cyclic collector off while the cloud imports and warms up; afterwards what lives is frozen and
    the collector runs again, whether the warm-up worked or failed (a cloud left without it would never free a cycle)."""
    import sys

    code = ("import gc\nfrom strata_local_cloud import __main__ as m\ngc.disable()\n"
            f"m._warm_up = {warm_up}\n"
            "try:\n    m._warm_up_and_settle('http://127.0.0.1:1')\nexcept ZeroDivisionError:\n    pass\n"
            "print(gc.isenabled(), gc.get_freeze_count() > 0)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert out == ["True", "True"]


@pytest.mark.parametrize(("preloaded", "clients"), [("None", "19"), ("object()", "0")], ids=["started-on-its-own", "forked"])
def test_a_cloud_on_its_own_makes_its_clients_while_it_warms_up_and_a_forked_one_on_first_use(preloaded: str, clients: str) -> None:
    """A cloud started on its own (npm start's) makes the clients a deploy needs first while the SAM CLI packages; one
    forked from a test run's zygote, its models already loaded, leaves each to the first request that needs it."""
    import sys

    code = ("from strata_local_cloud import __main__ as m\nfrom strata_local_cloud.cfn import context\n"
            f"context.preloaded_loader = {preloaded}\nmade = []\n"
            "context.client_for = lambda service, *args: made.append(service)\n"
            "m._warm_up('http://127.0.0.1:1')\nprint(len(made), sorted(made) == sorted(m.WARM) or made == [])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout.split()
    assert out == [clients, "True"]
