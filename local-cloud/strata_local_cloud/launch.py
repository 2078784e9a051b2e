"""The Python starter for the local cloud (pytest, tools/plan.py and the other Python tools).

It follows the one launcher contract every starter uses (the shell one in tools/lib/local-cloud.sh, the
Node.js one in local-cloud/launch.cjs): `strata-local-cloud --port 0 --url-file F`, then wait for F.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

# The AWS configuration every starter points AWS_CONFIG_FILE at: the strata-local-cloud profile.
AWS_CONFIG = Path(__file__).with_name("aws-config")
# How often `sam deploy` asks for the stack's state and events while it waits (SAM CLI's SAM_CLI_POLL_DELAY,
# "configure how often SAM CLI checks the Stack state": `sam deploy --help`). Its default, 5 s, spares
# CloudFormation's DescribeStackEvents quota; the local cloud has none, and a 5 s poll would add 2.5 s on average
# to every change set and every deploy. (`sam delete` waits with a fixed 30 s delay that no variable changes.)
SAM_POLL_DELAY = "0.5"


def _command() -> list[str]:
    """The console script next to this interpreter, or the module when the package is not installed as one."""
    script = Path(sys.executable).with_name("strata-local-cloud")
    return [str(script)] if script.exists() else [sys.executable, "-m", "strata_local_cloud"]


def _tail(log: Path | None, lines: int = 15) -> str:
    """The last lines of the server's log, for the error of a start that failed (its cause, often a traceback)."""
    try:
        text = log.read_text(errors="replace").rstrip() if log else ""
    except OSError:
        text = ""
    return f"; the last lines of its log ({log}):\n" + "\n".join(text.splitlines()[-lines:]) if text else ""


class LocalCloud:
    def __init__(self, log: Path | None = None, timeout: float = 60, env: dict[str, str] | None = None) -> None:
        self.log_path = log
        out: IO[bytes] | int = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - the child writes to it for its life
        scratch = Path(tempfile.mkdtemp(prefix="strata-local-cloud-url-"))
        url_file = scratch / "url"
        self.proc = subprocess.Popen([*_command(), "--port", "0", "--url-file", str(url_file)], stdout=subprocess.DEVNULL, stderr=out,
                                     env=env)
        deadline = time.monotonic() + timeout
        try:
            while not url_file.exists():
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the local cloud did not start{_tail(log)}")
                time.sleep(0.05)
            self.url = url_file.read_text().strip()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @staticmethod
    def env_for(url: str, region: str = "us-east-1") -> dict[str, str]:
        """The environment a subprocess needs to talk to the local cloud at `url` and never to AWS."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION=region, AWS_REGION=region, SAM_CLI_TELEMETRY="0",
                   # the profile samconfig.toml's local config-envs name (see the file: the guard it is)
                   AWS_CONFIG_FILE=str(AWS_CONFIG), AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   SAM_CLI_POLL_DELAY=SAM_POLL_DELAY)
        return env

    def env(self, region: str = "us-east-1") -> dict[str, str]:
        return self.env_for(self.url, region)

    def stop(self) -> None:
        _terminate(self.proc)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a clean stop), then SIGKILL if it has not ended within 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Zygote:
    """A fork server for local clouds (zygote.py): each LocalCloud started with `env()` in its environment is forked
    from it instead of starting from scratch. The test command runs one for its whole run (tools/test.sh)."""

    def __init__(self, log: Path | None = None, timeout: float = 60) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="strata-zygote-"))
        self.socket = self.dir / "socket"
        out: IO[bytes] | int = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - the child writes to it for its life
        self.proc = subprocess.Popen([sys.executable, "-m", "strata_local_cloud.zygote", "--socket", str(self.socket)],
                                     stdout=subprocess.DEVNULL, stderr=out)
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the zygote did not start{_tail(log)}")
            time.sleep(0.05)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        from .zygote import ENV

        return {**(os.environ if base is None else base), ENV: str(self.socket)}

    def stop(self) -> None:
        _terminate(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
