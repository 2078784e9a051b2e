"""Start the local cloud as a child process and learn its URL: one helper for tests and tools."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class LocalCloud:
    def __init__(self, log: Path | None = None, timeout: float = 60) -> None:
        self.log_path = log
        out: IO[bytes] | int = open(log, "wb") if log else subprocess.DEVNULL
        env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-u", "-m", "strata_local_cloud", "--port", "0"], stdout=subprocess.PIPE,
                                     stderr=out, env=env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        while not line.startswith(b"STRATA_LOCAL_CLOUD_URL="):
            line = self.proc.stdout.readline()
            if not line and (self.proc.poll() is not None or time.monotonic() > deadline):
                self.stop()
                raise RuntimeError(f"the local cloud did not start; see {log or 'its output'}")
        self.url = line.decode().strip().split("=", 1)[1]

    def env(self, region: str = "us-east-1") -> dict[str, str]:
        """The environment a subprocess needs to talk to this local cloud and never to AWS."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ENDPOINT_URL=self.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION=region, AWS_REGION=region, SAM_CLI_TELEMETRY="0")
        return env

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
