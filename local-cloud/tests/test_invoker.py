"""The custom resources' execution environments (lambda_runtime/invoker.py) end once idle for IDLE_SECONDS, whether
or not the function is invoked again; one in use is not ended. They run on the Node.js their runtime names
(lambda_runtime/runtimes.py)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
import zipfile
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


class _Body:
    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def read(self) -> bytes:
        return self.blob


class _S3:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects, self.reads = objects, 0

    def get_object(self, Bucket: str, Key: str, **_: str) -> dict[str, _Body]:  # noqa: N803 - the S3 API's names
        self.reads += 1
        return {"Body": _Body(self.objects[Key])}


def _zip(text: str) -> bytes:
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as archive:
        archive.writestr("index.js", text)
    return blob.getvalue()


def test_the_same_code_is_unpacked_once_at_one_path_for_the_run_s_local_clouds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The path is the zip's digest in the run's shared cache: the compile cache, keyed by a module's path, then serves
    every cloud's environments. Other code, another path; each invoker's own directory without a shared cache."""
    monkeypatch.setenv("STRATA_SHARED_CACHE", str(tmp_path / "run"))
    s3 = _S3({"a.zip": _zip("exports.handler = async () => 1;\n"), "copy-of-a.zip": _zip("exports.handler = async () => 1;\n"),
              "b.zip": _zip("exports.handler = async () => 2;\n")})
    first, second = invoker.Invoker(lambda: "", code_dir=tmp_path / "one"), invoker.Invoker(lambda: "", code_dir=tmp_path / "two")
    try:
        a = first._code(s3, {"S3Bucket": "code", "S3Key": "a.zip"})
        assert first._code(s3, {"S3Bucket": "code", "S3Key": "a.zip"}) == a and s3.reads == 1  # read once per invoker
        assert second._code(s3, {"S3Bucket": "code", "S3Key": "copy-of-a.zip"}) == a
        assert (a / "index.js").read_text() == "exports.handler = async () => 1;\n"
        assert a.parent == tmp_path / "run" / "lambda-code"
        b = second._code(s3, {"S3Bucket": "code", "S3Key": "b.zip"})
        assert b != a and (b / "index.js").read_text().endswith("2;\n")
        assert first.compile_cache == second.compile_cache == tmp_path / "run" / "node-compile-cache"
    finally:
        first.close()
        second.close()
    assert (a / "index.js").exists()  # the run's, not a cloud's: it outlives the clouds
    monkeypatch.delenv("STRATA_SHARED_CACHE")
    alone = invoker.Invoker(lambda: "", code_dir=tmp_path / "alone")
    try:
        own = alone._code(s3, {"S3Bucket": "code", "S3Key": "a.zip"})
        assert own.parent == tmp_path / "alone" / "lambda-code" and alone.compile_cache == tmp_path / "alone" / "node-compile-cache"
    finally:
        alone.close()
    assert not own.exists()


def test_an_environment_s_init_reads_the_code_another_environment_compiled(tmp_path: Path) -> None:
    """Node's compile cache, as the runner enables it: the first environment writes V8's code for the handler's module
    once it is loaded (before any signal ends it), the next one's Init accepts it; a changed module is compiled again."""
    code, cache = tmp_path / "code", tmp_path / "cache"
    code.mkdir()
    (code / "index.js").write_text("exports.handler = async () => {};\n")
    node = runtimes.node_for("nodejs22.x")

    def init() -> str:
        environment = subprocess.Popen([node, str(invoker.RUNNER), str(code), "index.handler", "arn:aws:lambda:us-east-1:123456789012:function:f",
                                        "128", str(cache)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       env={"PATH": os.environ.get("PATH", ""), "NODE_DEBUG_NATIVE": "COMPILE_CACHE"})
        assert environment.stdin is not None and environment.stdout is not None
        environment.stdin.write(json.dumps({"event": {}, "requestId": "r", "deadline": int(time.time() * 1000) + 10_000}) + "\n")
        environment.stdin.flush()
        assert "strata-invocation-end" in environment.stdout.readline()  # Init and one invocation done
        environment.terminate()  # then ended by a signal, as the invoker ends an environment
        return environment.communicate(timeout=15)[1]

    first = init()
    assert "cache for " + str(code / "index.js") + " was accepted" not in first, first
    assert list(cache.rglob("*")), "the first environment wrote nothing to the compile cache"
    assert "cache for " + str(code / "index.js") + " was accepted" in init()
    (code / "index.js").write_text("exports.handler = async () => 'changed';\n")
    assert "was accepted" not in [line for line in init().splitlines() if str(code / "index.js") in line][-1]


def test_an_environment_s_command_line_names_its_cloud_s_directory_wherever_its_code_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The code is in the run's shared cache; a killed cloud's environments are still found by its directory."""
    monkeypatch.setenv("STRATA_SHARED_CACHE", str(tmp_path / "run"))
    runs = invoker.Invoker(lambda: "", code_dir=tmp_path / "cloud" / "code")
    try:
        code = runs._code(_S3({"a.zip": _zip("exports.handler = async () => 1;\n")}), {"S3Bucket": "b", "S3Key": "a.zip"})
        argv = runs.argv("node", [], code, "index.handler", "arn:aws:lambda:us-east-1:123456789012:function:f", 128)
        assert str(tmp_path / "run") in argv[argv.index(str(invoker.RUNNER)) + 1]
        assert any(arg.startswith(str(tmp_path / "cloud")) for arg in argv)
    finally:
        runs.close()
