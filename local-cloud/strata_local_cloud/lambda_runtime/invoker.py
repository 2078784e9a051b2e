"""Custom resources run for real: the function's code from the packaged artifact, in a Node.js process that stays
for the function's next invocations, as a Lambda execution environment does (runner.cjs).

CloudFormation invokes the function asynchronously and waits for the answer PUT to a presigned S3 URL.
Here the URL is a listener on loopback, the code is the zip `sam package` uploaded (read back from the
emulated S3), the environment is the function's own plus the emulator as its AWS endpoint, and the
engine waits for that one answer (up to ServiceTimeout) before anything that depends on it resolves.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..cfn.errors import ResourceFailure
from ..shared_cache import shared_cache
from ..workdir import dying_with_parent
from . import runtimes

LOG = logging.getLogger("strata.lambda")
RUNNER = Path(__file__).with_name("runner.cjs")
END = b"\x1estrata-invocation-end "  # runner.cjs's line at the end of each invocation
# How long an environment waits idle for its next invocation before it ends. Lambda keeps an idle environment "for
# some time in anticipation of another function invocation" and does not say how long
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html). A deploy's invocations of one
# function, and its rollback's or update's soon after, fall within this; an environment holds some 50 MB meanwhile.
IDLE_SECONDS = 120


class CustomResourceFailure(ResourceFailure):
    """The function answered FAILED (with the physical ID it answered, if any)."""


def _strings(value: Any) -> Any:
    """CloudFormation hands custom resources every scalar property as a string."""
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Invoker:
    def __init__(self, endpoint, code_dir: Path | None = None, dataplane: Any = None) -> None:
        self.endpoint = endpoint
        self.dataplane = dataplane
        self.code_dir = code_dir or Path(tempfile.mkdtemp(prefix="strata-local-cloud-code-"))
        self.shared = shared_cache(self.code_dir)
        self.unpacked: dict[tuple[str, str, str], Path] = {}
        # Node's compile cache (https://nodejs.org/api/module.html#module-compile-cache) for the functions' modules:
        # V8's code for a module, checked against the module's text and the V8 version before use, so an environment's
        # Init parses a 1 MB bundle once per run, not once per environment (0.12 -> 0.075 s of CPU each).
        self.compile_cache = (self.shared.root or self.code_dir) / "node-compile-cache"
        self.answers: dict[str, list[bytes]] = {}
        self.cond = threading.Condition()
        self.code_lock = threading.Lock()
        self.envs_lock = threading.Lock()
        self.idle: list[_Environment] = []  # environments between invocations
        self.every: set[_Environment] = set()  # every environment started, ended or not
        self.current: dict[str, str] = {}  # a function's ARN: the configuration its new invocations run with
        self.spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambda-environments")
        self.stopping = threading.Event()
        threading.Thread(target=self._reap_idle, daemon=True, name="lambda-idle-reaper").start()
        invoker = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                token = self.path.lstrip("/").split("?", 1)[0]
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with invoker.cond:
                    known = token in invoker.answers
                    if known:
                        invoker.answers[token].append(body)
                        invoker.cond.notify_all()
                self.send_response(200 if known else 403)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        with self.envs_lock:
            self.stopping.set()
            self.idle.clear()
            every, self.every = list(self.every), set()
        for environment in every:
            environment.stop()
        self.spawner.shutdown(wait=False)
        self.server.shutdown()
        shutil.rmtree(self.code_dir, ignore_errors=True)

    def _code(self, s3: Any, code: dict[str, str]) -> Path:
        """The directory the function's zip is unpacked in (its LAMBDA_TASK_ROOT), named by the zip's digest: in the
        run's shared cache (STRATA_SHARED_CACHE), where every local cloud of a test run finds the same code at the same
        path, or in this invoker's own directory. Node's compile cache (below) is keyed by a module's path."""
        source = (code["S3Bucket"], code["S3Key"], code.get("S3ObjectVersion", ""))
        with self.code_lock:  # custom resources of one function start side by side: unpack its code once
            if source not in self.unpacked:
                args = {"Bucket": source[0], "Key": source[1], **({"VersionId": source[2]} if source[2] else {})}
                blob = s3.get_object(**args)["Body"].read()

                def unpack(target: Path) -> None:
                    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
                        archive.extractall(target)

                unpacked = self.shared.get_dir("lambda-code", hashlib.sha256(blob).hexdigest(), unpack)
                assert unpacked is not None  # a cache with a directory: this invoker's own at least
                self.unpacked[source] = unpacked
            return self.unpacked[source]

    def invoke(self, p: Any, function: dict[str, Any], event: dict[str, Any], service_timeout: int) -> dict[str, Any]:
        props = function["props"]
        node = runtimes.node_for(str(props.get("Runtime", "")))  # before anything is unpacked or started
        code = self._code(p.client("s3"), props["Code"])
        token = uuid.uuid4().hex
        host, port = "127.0.0.1", self.server.server_address[1]  # the listener binds loopback (above)
        event = {**event, "ResponseURL": f"http://{host}:{port}/{token}?X-Amz-Signature=local", "RequestId": str(uuid.uuid4()),
                 "ResourceProperties": _strings(event["ResourceProperties"])}
        if "OldResourceProperties" in event:
            event["OldResourceProperties"] = _strings(event["OldResourceProperties"])
        timeout = int(props.get("Timeout", 3))
        log_group = (props.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{function['name']}"
        # The function's calls act in the account of the stack that runs it (its role's account).
        access, secret, session = p.credentials()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
            **{k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()},
            "AWS_REGION": p.region, "AWS_DEFAULT_REGION": p.region, "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret,
            **({"AWS_SESSION_TOKEN": session} if session else {}),
            "AWS_ENDPOINT_URL": self.endpoint(), "AWS_LAMBDA_FUNCTION_NAME": function["name"],
            # S3 Control's endpoint rules put the account ID in front of the host (<account>.s3-control.<region>.amazonaws.com,
            # https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutPublicAccessBlock.html), which an IP address
            # cannot carry: the SDK gets a localhost name, and the preload resolves <account>.localhost to loopback (RFC 6761).
            "AWS_ENDPOINT_URL_S3_CONTROL": f"http://localhost:{urllib.parse.urlsplit(self.endpoint()).port}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)), "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": log_group, "AWS_EXECUTION_ENV": f"AWS_Lambda_{props.get('Runtime')}", "LAMBDA_TASK_ROOT": str(code),
        }
        preload: list[str] = []
        if self.dataplane is not None:
            self.dataplane.wait_ready()
            env.update(self.dataplane.node_env())
            preload = ["-r", str(self.dataplane.hook)]
        argv = self.argv(node, preload, code, props["Handler"], function["arn"], props.get("MemorySize", 128))
        with self.cond:
            self.answers[token] = []
        started = time.monotonic()
        environment = self._acquire(function["arn"], argv, env, code)
        environment.send({"event": event, "requestId": str(uuid.uuid4()), "deadline": int((time.time() + timeout) * 1000)})
        function_deadline, service_deadline = started + timeout, started + service_timeout
        answered_at: float | None = None
        with self.cond:
            while True:
                now = time.monotonic()
                if self.answers[token] and answered_at is None:
                    answered_at = now
                # The invocation ended (returned, threw, or its process died): any answer it sent has arrived, as
                # the handler awaits its PUT. Answered, it gets a moment to return, so its environment can be reused.
                if environment.ended is not None or environment.dead or now >= function_deadline:
                    break
                if (answered_at is not None and now >= answered_at + 5) or (answered_at is None and now >= service_deadline):
                    break
                self.cond.wait(timeout=0.1)
            bodies = self.answers.pop(token)
            ended, dead = environment.ended, environment.dead
        timed_out = ended is None and not dead and time.monotonic() >= function_deadline
        printed = environment.peek()
        self._release(environment, p, function_deadline)
        if not bodies:
            tail = [line for line in printed.decode(errors="replace").strip().splitlines() if line.strip()][-3:]
            if timed_out:
                why = f"the function timed out after {timeout} s without answering"
            elif dead:
                why = f"the function exited (code {environment.proc.returncode}) without answering"
            elif ended is not None:
                why = "the function returned without answering"
            else:
                why = f"no answer within ServiceTimeout {service_timeout} s"
            raise ResourceFailure(f"CloudFormation did not receive a response from your Custom Resource: {why}. "
                                  f"{' | '.join(tail)}".strip())
        if len(bodies) > 1:
            LOG.warning("custom resource %s answered %d times; CloudFormation uses the first", event["LogicalResourceId"], len(bodies))
        return json.loads(bodies[0])

    def argv(self, node: str, preload: list[str], code: Path, handler: str, arn: str, memory: Any) -> list[str]:
        """An environment's command line. Its last argument is this invoker's own directory, in the local cloud's: the
        code may live in the run's shared cache, and a later start finds what a killed cloud left running by the
        cloud's directory in a command line (workdir.reap_stale)."""
        return [node, *preload, str(RUNNER), str(code), handler, arn, str(memory), str(self.compile_cache), str(self.code_dir)]

    # ------------------------------------------------------------ execution environments
    def _acquire(self, arn: str, argv: list[str], env: dict[str, str], code: Path) -> _Environment:
        """An idle environment of this function with this very configuration, or a new one (a cold start). As Lambda
        does, an environment serves one invocation at a time, a function whose code or configuration changed gets new
        environments, and the old ones end."""
        key = json.dumps([argv, sorted(env.items())])
        with self.envs_lock:
            if self.current.get(arn) != key:
                self.current[arn] = key
                for stale in [e for e in self.idle if e.arn == arn and e.key != key]:
                    self.idle.remove(stale)
                    stale.stop()
            for candidate in [e for e in self.idle if e.key == key]:
                self.idle.remove(candidate)
                if not candidate.dead:
                    return candidate
        # Lambda names a stream for each environment: <date>/[<version>]<environment ID>
        # (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html)
        stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"
        # Started from the invoker's one long-lived thread: an environment outlives the engine thread of the invocation
        # that started it, and Linux kills it when the thread that started it ends (workdir.dying_with_parent).
        made = self.spawner.submit(_Environment, arn, key, argv, {**env, "AWS_LAMBDA_LOG_STREAM_NAME": stream}, code, self.cond,
                                   stream).result()
        with self.envs_lock:
            self.every.add(made)
        return made

    def _release(self, environment: _Environment, p: Any, function_deadline: float) -> None:
        """The invocation's output to the function's log; the environment back to the idle ones if its invocation
        ended. One still running after answering (its answer is all CloudFormation waits for) finishes meanwhile, and
        one past its function timeout ends, as Lambda resets an environment whose invocation timed out."""
        if environment.ended is None and not environment.dead and time.monotonic() < function_deadline:
            threading.Thread(target=self._finish_later, args=(environment, p, function_deadline), daemon=True).start()
            return
        self._logs(p, environment, environment.take())
        if environment.ended is None or environment.dead:
            environment.stop()
            return
        with self.envs_lock:
            if self.stopping.is_set() or self.current.get(environment.arn) != environment.key:
                environment.stop()
            else:
                environment.idle_since = time.monotonic()
                self.idle.append(environment)

    def _finish_later(self, environment: _Environment, p: Any, function_deadline: float) -> None:
        with self.cond:
            while environment.ended is None and not environment.dead and time.monotonic() < function_deadline:
                self.cond.wait(timeout=min(1.0, max(0.01, function_deadline - time.monotonic())))
        self._release(environment, p, time.monotonic())

    def _reap_idle(self) -> None:
        """Ends each environment idle for IDLE_SECONDS (Lambda keeps an idle environment for a while, then shuts it
        down), whether or not anything is invoked again: a kept local cloud would hold them until it stops."""
        while not self.stopping.wait(IDLE_SECONDS / 4):
            with self.envs_lock:
                now = time.monotonic()
                for old in [e for e in self.idle if now - e.idle_since > IDLE_SECONDS]:
                    self.idle.remove(old)
                    old.stop()

    def _logs(self, p: Any, environment: _Environment, output: bytes) -> None:
        """What the function printed goes to its log group, in its environment's stream, as Lambda would put it."""
        lines = [line for line in output.decode(errors="replace").splitlines() if line.strip()]
        if not lines:
            return
        logs = p.client("logs")
        group = environment.env["AWS_LAMBDA_LOG_GROUP_NAME"]
        try:
            if not environment.stream_made:
                logs.create_log_stream(logGroupName=group, logStreamName=environment.stream)
                environment.stream_made = True
            stamp = int(time.time() * 1000)
            logs.put_log_events(logGroupName=group, logStreamName=environment.stream,
                                logEvents=[{"timestamp": stamp, "message": line} for line in lines[:1000]])
        except Exception as error:  # noqa: BLE001 - logs are a convenience; the deploy does not depend on them
            LOG.warning("could not write the function's output to %s: %s", group, error)


class _Environment:
    """One execution environment: a Node.js process that loaded the function's code once (runner.cjs) and runs its
    invocations one at a time. Its output is read as it comes; `ended` is how the current invocation ended (None
    while it runs), `dead` whether the process is gone. `cond` is the invoker's, notified on both."""

    def __init__(self, arn: str, key: str, argv: list[str], env: dict[str, str], code: Path, cond: threading.Condition,
                 stream: str) -> None:
        self.arn, self.key, self.env, self.cond, self.stream = arn, key, env, cond, stream
        self.stream_made = False
        self.idle_since = time.monotonic()
        self.ended: dict[str, Any] | None = None
        self.dead = False
        self.output: list[bytes] = []
        argv, preexec = dying_with_parent(argv)
        self.proc = subprocess.Popen(argv, cwd=code, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.cond:
                if line.startswith(END):
                    self.ended = json.loads(line[len(END):])
                else:
                    self.output.append(line)
                self.cond.notify_all()
        self.proc.wait()
        with self.cond:
            self.dead = True
            self.cond.notify_all()

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        with self.cond:
            self.ended = None
        try:
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:  # it died while idle: the reader marks it dead, and the invocation fails as the process exited
            pass

    def take(self) -> bytes:
        """The output since the last take (the Init phase's goes with the first invocation)."""
        with self.cond:
            taken, self.output = b"".join(self.output), []
        return taken

    def peek(self) -> bytes:
        with self.cond:
            return b"".join(self.output)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin:
                self.proc.stdin.close()
