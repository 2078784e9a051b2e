"""`sam deploy` with progress and the real cause of a failure.

    .venv/bin/python tools/deploy.py --config-env local --log .strata/runs/T/deploy-local.log [-- sam deploy options]
    .venv/bin/python tools/deploy.py --why --stack strata-local       # why the last operation on a stack failed

Runs the very `sam deploy` the README gives, its whole output going to the log, and meanwhile reads the stack's
events from CloudFormation: one line as each layer (nested stack) starts and finishes with its time, a line naming
the resource that has been running longest whenever nothing else was said for a few seconds, and a final line with
the total. On a failure it prints the first failure of the operation (layer, resource, status reason) rather than
the tail of the rollback, then where the full log is. Plain lines, no redraws: a terminal and a CI log read alike.

Reads everything through the CloudFormation API, so it follows the local cloud and a real account alike (the
standard AWS variables choose the target); a failing read never fails the deploy, it only costs a line.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import boto3
import botocore.config
import botocore.exceptions

# The profile samconfig.toml's local config-envs name, defined only by the local cloud's AWS_CONFIG_FILE.
LOCAL_PROFILE = "strata-local-cloud"
LOCAL_ONLY = ("The local config-envs deploy only to a local cloud: `npm start -- --keep`, then `source .strata/local-cloud.env` "
              "(npm start itself does both).")
# Nothing said for this long: name what is running (the bench's "no gap longer than 5 s" target).
QUIET_SECONDS = 3.0
POLL_SECONDS = 1.0
# Reasons that only echo another failure: a cancelled sibling, a nested stack reporting its own resources, the
# rollback's summary. CloudFormation's own wording (see the events of any failed nested create).
ECHOES = ("Resource creation cancelled", "Resource update cancelled", "Embedded stack", "The following resource(s) failed")
# Retries with backoff: DescribeStackEvents is throttled per account, and the deploy matters more than a line.
_CONFIG = botocore.config.Config(retries={"mode": "adaptive", "max_attempts": 10})


def _events(cf: Any, stack: str, since: datetime) -> list[dict[str, Any]]:
    """The stack's events since `since`, oldest first (DescribeStackEvents pages newest first)."""
    found: list[dict[str, Any]] = []
    for page in cf.get_paginator("describe_stack_events").paginate(StackName=stack):
        for event in page["StackEvents"]:
            if event["Timestamp"] < since:
                return found[::-1]
            found.append(event)
    return found[::-1]


def _stack_ids(cf: Any, stack: str) -> list[str]:
    """The stack and its nested stacks, recursively (a deleted stack is still read by its ARN)."""
    ids = [cf.describe_stacks(StackName=stack)["Stacks"][0]["StackId"]]
    for sid in ids:
        for page in cf.get_paginator("list_stack_resources").paginate(StackName=sid):
            ids += [r["PhysicalResourceId"] for r in page["StackResourceSummaries"]
                    if r["ResourceType"] == "AWS::CloudFormation::Stack" and r.get("PhysicalResourceId", "").startswith("arn:")]
    return ids


def first_failure(events: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The earliest failure that is a cause, not an echo of another one."""
    causes = [e for e in events if e["ResourceStatus"].endswith("_FAILED") and e.get("ResourceType") != "AWS::CloudFormation::Stack"
              and not e.get("ResourceStatusReason", "").startswith(ECHOES)]
    return min(causes, key=lambda e: e["Timestamp"]) if causes else None


def _layer_of(cf: Any, stack_id: str, root_id: str) -> str:
    """The logical ID under which a nested stack sits in its parent (its layer), or the stack's name for the root."""
    stack = cf.describe_stacks(StackName=stack_id)["Stacks"][0]
    if stack_id == root_id:
        return stack["StackName"]
    parent = stack.get("ParentId")
    for page in cf.get_paginator("list_stack_resources").paginate(StackName=parent or root_id):
        for r in page["StackResourceSummaries"]:
            if r.get("PhysicalResourceId") == stack_id:
                return r["LogicalResourceId"]
    return stack["StackName"]


def failure_cause(cf: Any, stack: str, since: datetime | None = None) -> list[str]:
    """Why the stack's last operation failed, as lines: pre-deployment validation's findings for its latest failed
    change set (SAM prints only "use the DescribeEvents API"), else the first failure of the stack and its nested
    stacks, with its layer."""
    try:
        sets = cf.list_change_sets(StackName=stack)["Summaries"]
    except botocore.exceptions.ClientError:
        sets = []
    failed = sorted((c for c in sets if c.get("Status") == "FAILED"), key=lambda c: c["CreationTime"])
    if failed and (since is None or failed[-1]["CreationTime"] >= since):
        events = cf.describe_events(ChangeSetName=failed[-1]["ChangeSetId"]).get("OperationEvents", [])
        findings = [e for e in events if e.get("EventType") == "VALIDATION_ERROR"]
        if findings:
            return [f"pre-deployment validation refused the change set {failed[-1]['ChangeSetName']}:",
                    *(f"  {e.get('ValidationPath', e.get('LogicalResourceId'))}: {e.get('ValidationStatusReason')}" for e in findings)]
    try:
        ids = _stack_ids(cf, stack)
    except botocore.exceptions.ClientError:
        return []
    start = since or datetime.min.replace(tzinfo=UTC)
    found = [(sid, e) for sid in ids for e in _events(cf, sid, start)]
    first = first_failure(e for _, e in found)
    if first is None:
        return []
    layer = _layer_of(cf, first["StackId"], ids[0])
    where = "" if first["StackId"] == ids[0] else f"layer {layer}, "
    return [f"first failure: {where}{first['LogicalResourceId']} ({first['ResourceType']}) {first['ResourceStatus']}: "
            f"{first.get('ResourceStatusReason', '')}"]


@dataclass
class Progress:
    """What the events said so far, and what to print about it."""

    cf: Any
    stack: str
    since: datetime
    say: Callable[[str], None]
    seen: set[str] = field(default_factory=set)
    root_id: str | None = None
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical ID -> {"id", "started", "done"}
    running: dict[tuple[str, str], tuple[datetime, str]] = field(default_factory=dict)  # (layer, resource) -> (start, type)
    last_status: str | None = None
    finished: int = 0  # resources of the stack itself that reached a final status

    def poll(self) -> None:
        if self.root_id is None:
            try:
                self.root_id = self.cf.describe_stacks(StackName=self.stack)["Stacks"][0]["StackId"]
            except botocore.exceptions.ClientError:
                return  # no stack yet: sam is still packaging or making the change set
        for event in _events(self.cf, self.root_id, self.since):
            if event["EventId"] not in self.seen:
                self.seen.add(event["EventId"])
                self._root_event(event)
        for layer, state in list(self.layers.items()):
            if state.get("done") or not state.get("id", "").startswith("arn:"):
                continue
            for event in _events(self.cf, state["id"], self.since):
                if event["EventId"] not in self.seen:
                    self.seen.add(event["EventId"])
                    self._layer_event(layer, event)

    def _root_event(self, event: dict[str, Any]) -> None:
        status, logical = event["ResourceStatus"], event["LogicalResourceId"]
        if logical == self.stack and event.get("ResourceType") == "AWS::CloudFormation::Stack":
            if status != self.last_status and not status.endswith("_COMPLETE"):
                self.say(f"{self.stack}: {status}")
            self.last_status = status
            return
        if event.get("ResourceType") != "AWS::CloudFormation::Stack":
            # a resource of the stack itself (the account layer is all such): counted, named when it runs long or fails
            self._layer_event(self.stack, event)
            reason = event.get("ResourceStatusReason", "")
            if status.endswith("_FAILED") and not reason.startswith(ECHOES):
                self.say(f"  {logical:<22} {status.lower().replace('_', ' ')}: {reason}")
            return
        state = self.layers.setdefault(logical, {})
        if event.get("PhysicalResourceId"):
            state["id"] = event["PhysicalResourceId"]
        if status.endswith("_IN_PROGRESS"):
            if "started" not in state or state.get("done"):
                state.update(started=event["Timestamp"], done=False)
                self.say(f"  {logical:<22} {status.lower().replace('_', ' ')} (layer)")
        elif status.endswith(("_COMPLETE", "_FAILED")):
            state["done"] = True
            took = (event["Timestamp"] - state.get("started", event["Timestamp"])).total_seconds()
            reason = event.get("ResourceStatusReason", "")
            tail = f": {reason}" if status.endswith("_FAILED") and reason else ""
            self.say(f"  {logical:<22} {status.lower().replace('_', ' ')} in {took:.0f} s{tail}")
            self.running = {k: v for k, v in self.running.items() if k[0] != logical}

    def _layer_event(self, layer: str, event: dict[str, Any]) -> None:
        key = (layer, event["LogicalResourceId"])
        if event.get("ResourceType") == "AWS::CloudFormation::Stack" and event["StackId"] == event.get("PhysicalResourceId"):
            return  # the nested stack's own status, already told by its parent
        if event["ResourceStatus"].endswith("_IN_PROGRESS"):
            self.running.setdefault(key, (event["Timestamp"], event.get("ResourceType", "")))
        else:
            self.running.pop(key, None)
            if layer == self.stack:
                self.finished += 1

    def longest(self, now: datetime) -> str | None:
        """The resource that has been running longest, or None."""
        done = f"{self.finished} resources done; " if self.finished else ""
        if not self.running:
            return done.removesuffix("; ") or None
        (layer, logical), (started, kind) = min(self.running.items(), key=lambda item: item[1][0])
        where = logical if layer == self.stack else f"{layer}/{logical}"
        return f"{done}{where} ({kind}) running for {(now - started).total_seconds():.0f} s"


def _config(config_env: str, config_file: Path) -> dict[str, Any]:
    if not config_file.exists():
        return {}
    doc = tomllib.loads(config_file.read_text())
    section = doc.get(config_env, {})
    return {**section.get("global", {}).get("parameters", {}), **section.get("deploy", {}).get("parameters", {})}


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _sam_errors(log: Path) -> list[str]:
    """SAM's own error lines (a refusal before any stack exists: a parameter, a template, credentials)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    errors = [i for i, line in enumerate(lines) if line.startswith("Error:") or "An error occurred" in line]
    return [lines[i].strip() for i in errors[-3:]]


def deploy(config_env: str, log: Path, sam_args: list[str], out: TextIO = sys.stdout, sam: list[str] | None = None) -> int:
    cfg = _config(config_env, Path(_option(sam_args, "--config-file") or "samconfig.toml"))
    stack = _option(sam_args, "--stack-name") or cfg.get("stack_name")
    region = _option(sam_args, "--region") or cfg.get("region")
    if not stack:
        print(f"deploy: no stack name for --config-env {config_env}: set stack_name in samconfig.toml or pass --stack-name",
              file=sys.stderr)
        return 64
    started_at = time.monotonic()
    last_line = [started_at]

    def say(line: str) -> None:
        print(line, file=out, flush=True)
        last_line[0] = time.monotonic()

    # the profile the config-env names, as sam deploy uses it (the local ones name strata-local-cloud: the guard)
    profile = _option(sam_args, "--profile") or cfg.get("profile")
    try:
        cf = boto3.session.Session(profile_name=profile, region_name=region).client("cloudformation", config=_CONFIG)
    except botocore.exceptions.ProfileNotFound:
        print(f"deploy: --config-env {config_env} names the AWS profile {profile}, which this shell does not have. "
              + (LOCAL_ONLY if profile == LOCAL_PROFILE else "Configure it (aws configure sso) or choose another config-env."),
              file=sys.stderr)
        return 2
    # events from this operation on (a little earlier: the clocks of this machine and of CloudFormation differ)
    since = datetime.now(UTC) - timedelta(seconds=2)
    progress = Progress(cf, stack, since, say)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [*(sam or [str(Path(sys.executable).parent / "sam")]), "deploy", "--config-env", config_env, "--no-progressbar", *sam_args]
    say(f"{stack}: sam deploy --config-env {config_env} (packaging the templates, then the change set)")
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        try:
            while True:
                _safely(progress.poll)
                now = time.monotonic()
                if now - last_line[0] >= QUIET_SECONDS:
                    running = progress.longest(datetime.now(UTC))
                    waiting = f"{stack} {progress.last_status}" if progress.last_status else "sam is packaging and making the change set"
                    say(f"  ... {now - started_at:.0f} s: {running or waiting}")
                try:
                    code = process.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    continue
        except KeyboardInterrupt:
            process.terminate()
            process.wait()
            raise
    _safely(progress.poll)
    total = time.monotonic() - started_at
    if code == 0:
        text = log.read_text(errors="replace")
        outcome = "no changes" if "No changes to deploy" in text else (progress.last_status or "done")
        counted = f", {progress.finished} resources of its own" if progress.finished else ""
        say(f"{stack}: {outcome} in {total:.0f} s{counted} (full output: {log})")
        return 0
    cause = _safely(lambda: failure_cause(cf, stack, since)) or _sam_errors(log)
    for line in cause or ["no failure event was recorded; see the log"]:
        say(line)
    say(f"{stack}: sam deploy failed after {total:.0f} s (exit {code}); the full output is in {log}")
    return code


def _safely(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-env", default="default")
    parser.add_argument("--log", type=Path, help="where sam deploy's whole output goes (default .strata/deploy-<config-env>.log)")
    parser.add_argument("--why", action="store_true", help="only print why the last operation on --stack failed")
    parser.add_argument("--stack", help="with --why: the stack")
    parser.add_argument("--region")
    parser.add_argument("--sam", type=shlex.split, help="the SAM CLI command to run, as shell words (default: the sam beside "
                        "this Python, .venv/bin/sam; the tests give `python -m strata_local_cloud.sam`, the same CLI)")
    args, sam_args = parser.parse_known_args()
    sam_args = [a for a in sam_args if a != "--"]
    if args.why:
        if not args.stack:
            parser.error("--why needs --stack")
        cf = boto3.client("cloudformation", region_name=args.region, config=_CONFIG)
        for line in failure_cause(cf, args.stack):
            print(line, file=sys.stderr)
        return 0
    if args.region:
        sam_args += ["--region", args.region]
    return deploy(args.config_env, args.log or Path(".strata") / f"deploy-{args.config_env}.log", sam_args, sam=args.sam)


if __name__ == "__main__":
    sys.exit(main())
