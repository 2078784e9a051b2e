"""The custom resources' execution environments (lambda_runtime/invoker.py) end once idle for IDLE_SECONDS, whether
or not the function is invoked again; one in use is not ended."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from strata_local_cloud.lambda_runtime import invoker
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
