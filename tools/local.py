"""The local clouds `npm start -- --keep` left running from this checkout: see them, stop them.

    npm run local -- status          each kept local cloud: pid, URL, since when, its stacks
    npm run local -- stop [PID ...]  stop them (all of this checkout's, or the ones named)

Each kept cloud has a record, .strata/clouds/<pid>.env (the variables to `source`); .strata/local-cloud.env points
at the newest. A record whose process is gone, or is no longer a local cloud (its pid reused), is removed.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions

REPO = Path(__file__).resolve().parent.parent
# STRATA_CLOUDS_DIR: another records folder (the tests use their own, never the checkout's).
CLOUDS = Path(os.environ.get("STRATA_CLOUDS_DIR", REPO / ".strata" / "clouds"))
LATEST = CLOUDS.parent / "local-cloud.env"


@dataclass
class Kept:
    pid: int
    record: Path
    url: str
    started: str

    def alive(self) -> bool:
        """The process exists and is still a local cloud (a pid can be reused once the cloud is gone)."""
        try:
            command = Path(f"/proc/{self.pid}/cmdline").read_bytes()
        except OSError:
            return False
        return b"strata-local-cloud" in command or b"strata_local_cloud" in command


def kept() -> list[Kept]:
    found = []
    for record in sorted(CLOUDS.glob("*.env")) if CLOUDS.is_dir() else []:
        text = record.read_text()
        url = re.search(r"^export AWS_ENDPOINT_URL=(\S+)", text, re.M)
        started = re.search(r"--keep at (\S+)", text)
        if record.stem.isdigit() and url:
            found.append(Kept(int(record.stem), record, url.group(1), started.group(1) if started else "?"))
    return found


def forget(cloud: Kept) -> None:
    cloud.record.unlink(missing_ok=True)
    if LATEST.is_symlink() and not LATEST.exists():
        LATEST.unlink()


def stacks(url: str) -> str:
    cf = boto3.client("cloudformation", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing", config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=2,
                                                                                      read_timeout=10))
    try:
        found = [s for page in cf.get_paginator("describe_stacks").paginate() for s in page["Stacks"] if not s.get("ParentId")]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        return f"(not answering: {error})"
    return ", ".join(f"{s['StackName']} {s['StackStatus']}" for s in found) or "no stacks"


def status() -> int:
    clouds = kept()
    running = 0
    for cloud in clouds:
        if not cloud.alive():
            print(f"pid {cloud.pid}: gone (record {cloud.record} removed)")
            forget(cloud)
            continue
        running += 1
        print(f"pid {cloud.pid}  {cloud.url}  since {cloud.started}  stacks in us-east-1: {stacks(cloud.url)}")
        print(f"    source {os.path.relpath(cloud.record)}")
    if not running:
        print("no kept local cloud from this checkout (npm start -- --keep starts one)")
    return 0


def stop(pids: list[int]) -> int:
    clouds = kept()
    unknown = sorted(set(pids) - {c.pid for c in clouds})
    if unknown:
        print(f"not a kept local cloud of this checkout: {', '.join(map(str, unknown))} (npm run local -- status lists them)",
              file=sys.stderr)
        return 1
    chosen = [c for c in clouds if not pids or c.pid in pids]
    for cloud in chosen:
        if cloud.alive():
            os.kill(cloud.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while cloud.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            if cloud.alive():
                os.kill(cloud.pid, signal.SIGKILL)
            print(f"pid {cloud.pid}: stopped ({cloud.url})")
        else:
            print(f"pid {cloud.pid}: already gone")
        forget(cloud)
    if not chosen:
        print("no kept local cloud from this checkout")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="the kept local clouds of this checkout and their stacks")
    stopper = sub.add_parser("stop", help="stop the kept local clouds (all, or the PIDs named)")
    stopper.add_argument("pids", nargs="*", type=int)
    args = parser.parse_args()
    return status() if args.command == "status" else stop(args.pids)


if __name__ == "__main__":
    sys.exit(main())
