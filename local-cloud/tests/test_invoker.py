"""The custom resources' execution environments (lambda_runtime/invoker.py) end once idle for IDLE_SECONDS, whether
or not the function is invoked again; one in use is not ended. They run on the Node.js their runtime names
(lambda_runtime/runtimes.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from strata_local_cloud.cfn.errors import ResourceFailure
from strata_local_cloud.lambda_runtime import invoker, runtimes
from strata_local_cloud.testing import until


def test_an_idle_environment_ends_after_idle_seconds_without_another_invocation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(invoker, "IDLE_SECONDS", 2.0)
    (tmp_path / "index.js").write_text("exports.handler = async () => {};\n")
    runs = invoker.Invoker(lambda: "http://127.0.0.1:9", code_dir=tmp_path / "code")
    try:
        argv = ["node", str(invoker.RUNNER), str(tmp_path), "index.handler", "arn:aws:lambda:us-east-1:123456789012:function:f", "128"]
        env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/f"}

        def invoke_once() -> invoker._Environment:
            environment = runs._acquire("arn:aws:lambda:us-east-1:123456789012:function:f", argv, env, tmp_path)
            environment.send({"event": {}, "requestId": "r", "deadline": int(time.time() * 1000) + 10_000})
            assert until(lambda: environment.ended is not None, 15), environment.peek()
            runs._release(environment, None, time.monotonic() + 10)
            return environment

        first = invoke_once()
        assert invoke_once() is first  # reused while idle for less than IDLE_SECONDS
        assert first.proc.poll() is None
        assert until(lambda: first.proc.poll() is not None, 10), "the idle environment was never ended"
        assert runs.idle == []
        assert json.dumps(first.ended) == '{"ok": true}'
    finally:
        runs.close()


def _fake_node(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def test_a_function_runs_on_the_node_its_runtime_names_from_the_runtimes_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    wanted = _fake_node(second / "nodejs22.x" / "bin" / "node", "v22.1.0")
    _fake_node(second / "nodejs20.x" / "bin" / "node", "v20.1.0")
    monkeypatch.setenv("STRATA_LOCAL_CLOUD_RUNTIMES", f"{first}{os.pathsep}{second}")
    assert runtimes.node_for("nodejs22.x") == str(wanted)
    assert runtimes.node_for("nodejs20.x") == str(second / "nodejs20.x" / "bin" / "node")
    earlier = _fake_node(first / "nodejs22.x" / "bin" / "node", "v22.2.0")
    assert runtimes.node_for("nodejs22.x") == str(earlier)  # the directories in the order they are named


def test_the_node_on_path_runs_a_function_only_when_its_major_version_is_the_runtimes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_LOCAL_CLOUD_RUNTIMES", str(tmp_path / "none"))
    monkeypatch.setattr(runtimes.sys, "prefix", str(tmp_path / "no-venv"))
    bin_dir = tmp_path / "bin"
    node = _fake_node(bin_dir / "node", "v22.9.1")
    monkeypatch.setenv("PATH", str(bin_dir))
    runtimes._major.cache_clear()
    assert runtimes.node_for("nodejs22.x") == str(node)
    with pytest.raises(ResourceFailure) as refused:
        runtimes.node_for("nodejs20.x")
    message = str(refused.value)
    assert "nodejs20.x functions on Node.js 20" in message and "the node on PATH is Node.js 22" in message
    assert "bash tools/setup.sh" in message and "STRATA_LOCAL_CLOUD_RUNTIMES" in message
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ResourceFailure, match="there is no node on PATH"):
        runtimes.node_for("nodejs22.x")


@pytest.mark.parametrize("runtime", ["python3.12", "nodejs", "nodejs22", "java21", ""])
def test_a_runtime_that_is_not_nodejs_n_x_is_refused_by_name(runtime: str) -> None:
    with pytest.raises(ResourceFailure, match=r"Node\.js functions only"):
        runtimes.node_for(runtime)


def test_set_up_gives_the_local_cloud_node_22_for_nodejs22_x() -> None:
    """What tools/setup.sh unpacks and links is what the local cloud finds, and it is Node.js 22."""
    node = runtimes.node_for("nodejs22.x")
    assert runtimes._major(node) == "22", node
