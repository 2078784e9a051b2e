"""Runs a stack operation's resource work over the dependency graph, in parallel where the graph allows.

CloudFormation "creates, updates, and deletes resources in parallel when they don't depend on each other"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html): a resource
starts as soon as everything it depends on is done. Nested stacks are resources like any other, so their
operations overlap too. Each operation has its own bounded pool (STRATA_LOCAL_CLOUD_WORKERS, default 8).

Failure modes, as CloudFormation handles them:
- "stop" (create, update): after the first failure nothing new starts; what is in flight finishes, and the
  operation then rolls back.
- "skip-dependants" (delete, read backwards: a resource waits for everything that depends on it): what a
  resource that failed to delete depends on is kept, the rest goes on.
"""

from __future__ import annotations

import concurrent.futures as futures
import contextvars
import logging
import os
import traceback
from collections.abc import Callable
from typing import Literal

LOG = logging.getLogger("strata.cfn.executor")
WORKERS = max(1, int(os.environ.get("STRATA_LOCAL_CLOUD_WORKERS", "8")))

Outcome = Literal["done", "failed", "skipped"]


class Run:
    """Shared state of one graph run that the work can read: has something failed yet?"""

    def __init__(self) -> None:
        self.failed = False


def run_graph(waits_for: dict[str, set[str]], work: Callable[[str, Run], bool], mode: Literal["stop", "skip-dependants"],
              cancelled: Callable[[], bool] = lambda: False, workers: int = WORKERS) -> dict[str, Outcome]:
    """Runs work(node) for every node once all the nodes it waits for are done. Returns each node's outcome;
    a node that never started (after a failure in "stop" mode, or on cancel) is absent."""
    waits = {n: {d for d in deps if d in waits_for and d != n} for n, deps in waits_for.items()}
    outcome: dict[str, Outcome] = {}
    running: dict[futures.Future[bool], str] = {}
    run = Run()

    def guarded(node: str) -> bool:
        try:
            return work(node, run)
        except Exception:  # noqa: BLE001 - an engine bug fails this node, never the whole server
            LOG.error("resource work for %s crashed:\n%s", node, traceback.format_exc())
            return False

    with futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cfn") as pool:
        while True:
            if mode == "skip-dependants":
                for node, deps in waits.items():
                    if node not in outcome and node not in running.values() and any(outcome.get(d) in ("failed", "skipped") for d in deps):
                        outcome[node] = "skipped"
            stopping = (mode == "stop" and run.failed) or cancelled()
            if not stopping:
                started = set(running.values())
                for node, deps in waits.items():
                    if node not in outcome and node not in started and all(outcome.get(d) == "done" for d in deps):
                        # each resource acts in the operation's account (its own copy of the context: one per thread)
                        running[pool.submit(contextvars.copy_context().run, guarded, node)] = node
            if not running:
                break
            done, _ = futures.wait(list(running), return_when=futures.FIRST_COMPLETED)
            for future in done:
                node = running.pop(future)
                ok = future.result()
                outcome[node] = "done" if ok else "failed"
                if not ok:
                    run.failed = True
    return outcome


def reverse(waits_for: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph read backwards: each node waits for the nodes that depend on it (deletion order)."""
    out: dict[str, set[str]] = {n: set() for n in waits_for}
    for node, deps in waits_for.items():
        for d in deps:
            if d in out:
                out[d].add(node)
    return out
