"""Custom resources run for real: the function's code from the packaged artifact, as a Node.js process.

CloudFormation invokes the function asynchronously and waits for the answer PUT to a presigned S3 URL.
Here the URL is a listener on loopback, the code is the zip `sam package` uploaded (read back from the
emulated S3), the environment is the function's own plus the emulator as its AWS endpoint, and the
engine waits for that one answer (up to ServiceTimeout) before anything that depends on it resolves.
"""

from __future__ import annotations

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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..cfn.errors import ResourceFailure
from ..workdir import die_with_parent

LOG = logging.getLogger("strata.lambda")
RUNNER = Path(__file__).with_name("runner.cjs")


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
        self.answers: dict[str, list[bytes]] = {}
        self.cond = threading.Condition()
        self.code_lock = threading.Lock()
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
        self.server.shutdown()
        shutil.rmtree(self.code_dir, ignore_errors=True)

    def _code(self, s3: Any, code: dict[str, str]) -> Path:
        key = hashlib.sha256(f"{code['S3Bucket']}/{code['S3Key']}/{code.get('S3ObjectVersion', '')}".encode()).hexdigest()[:24]
        target = self.code_dir / key
        with self.code_lock:  # custom resources of one function start side by side: unpack its code once
            return self._unpack(s3, code, target)

    def _unpack(self, s3: Any, code: dict[str, str], target: Path) -> Path:
        if not target.exists():
            args = {"Bucket": code["S3Bucket"], "Key": code["S3Key"]}
            if code.get("S3ObjectVersion"):
                args["VersionId"] = code["S3ObjectVersion"]
            blob = s3.get_object(**args)["Body"].read()
            partial = Path(tempfile.mkdtemp(dir=self.code_dir))
            with zipfile.ZipFile(io.BytesIO(blob)) as archive:
                archive.extractall(partial)
            partial.rename(target)
        return target

    def invoke(self, p: Any, function: dict[str, Any], event: dict[str, Any], service_timeout: int) -> dict[str, Any]:
        props = function["props"]
        if not str(props.get("Runtime", "")).startswith("nodejs"):
            raise ResourceFailure(f"the local cloud runs Node.js custom resources only; {function['name']} uses {props.get('Runtime')}")
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
            "AWS_LAMBDA_LOG_GROUP_NAME": log_group, "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{event['RequestId']}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{props.get('Runtime')}", "LAMBDA_TASK_ROOT": str(code),
        }
        preload: list[str] = []
        if self.dataplane is not None:
            self.dataplane.wait_ready()
            env.update(self.dataplane.node_env())
            preload = ["-r", str(self.dataplane.hook)]
        with self.cond:
            self.answers[token] = []
        started = time.monotonic()
        proc = subprocess.Popen(["node", *preload, str(RUNNER), str(code), props["Handler"], str(timeout * 1000), function["arn"],
                                 str(props.get("MemorySize", 128))], cwd=code, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=die_with_parent)
        out: dict[str, bytes] = {}

        def communicate() -> None:
            try:
                out["stdout"], out["stderr"] = proc.communicate(json.dumps(event).encode(), timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out["stdout"], out["stderr"] = proc.communicate()
                out["timeout"] = b"1"

        runner = threading.Thread(target=communicate, daemon=True)
        runner.start()
        deadline = started + service_timeout
        with self.cond:
            while not self.answers[token]:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if not runner.is_alive() and time.monotonic() - started > 0:
                    # The process ended: any answer it sent has arrived (the PUT is awaited before exit).
                    self.cond.wait(timeout=0.2)
                    break
                self.cond.wait(timeout=min(remaining, 0.1))
            bodies = self.answers.pop(token)
        runner.join(timeout=5)
        self._logs(p, log_group, event["RequestId"], out.get("stdout", b"") + out.get("stderr", b""))
        if not bodies:
            tail = out.get("stderr", b"").decode(errors="replace").strip().splitlines()[-3:]
            if "timeout" in out:
                why = f"the function timed out after {timeout} s without answering"
            elif proc.returncode is not None:
                why = f"the function exited (code {proc.returncode}) without answering"
            else:
                why = f"no answer within ServiceTimeout {service_timeout} s"
            raise ResourceFailure(f"CloudFormation did not receive a response from your Custom Resource: {why}. "
                                  f"{' | '.join(tail)}".strip())
        if len(bodies) > 1:
            LOG.warning("custom resource %s answered %d times; CloudFormation uses the first", event["LogicalResourceId"], len(bodies))
        return json.loads(bodies[0])

    def _logs(self, p: Any, group: str, request_id: str, output: bytes) -> None:
        """What the function printed goes to its log group, as Lambda would put it."""
        lines = [line for line in output.decode(errors="replace").splitlines() if line.strip()]
        if not lines:
            return
        logs = p.client("logs")
        stream = f"local/{request_id}"
        try:
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            stamp = int(time.time() * 1000)
            logs.put_log_events(logGroupName=group, logStreamName=stream,
                                logEvents=[{"timestamp": stamp, "message": line} for line in lines[:1000]])
        except Exception as error:  # noqa: BLE001 - logs are a convenience; the deploy does not depend on them
            LOG.warning("could not write the function's output to %s: %s", group, error)
