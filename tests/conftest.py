"""Shared pytest fixtures come from the local cloud's plugin (`-p strata_local_cloud.testing` in pytest.ini):
`moto_server` (one local cloud per session), `aws_env`, `aws` and `deploy`. Here: the order the work starts in."""

from __future__ import annotations

import pytest

# The order pytest-xdist hands out the work (the test command runs `--dist loadgroup --no-loadscope-reorder`): each
# group (its xdist_group mark; a test without one is a group of its own) goes to a worker in the order its first test
# is collected, two to each worker at the start, then one to whichever worker is free. These take longest (seconds in
# a test run with 4 workers on 2 cores): they start first, longest first, and the many short tests fill in after
# them. Left to itself xdist starts the groups with the most tests first and a long single test (the main job, 37 s)
# last, which ran alone for the last 28 s of the run.
FIRST = (
    "integration-test_lifecycle",  # ~70 s
    "integration-shared-dev",  # ~57 s
    "tests/tools/test_main.py",  # ~50 s, one test
    "local-cloud-zygote",  # ~43 s, mostly waiting for clouds to start and stop
    "integration-test_organization",  # ~35 s
    "integration-test_account",  # ~33 s
    "local-cloud-stack-lifecycle",  # ~17 s
    "local-cloud/tests/test_crash_safety.py",
    "tests/gates/test_gates.py",
    "tests/tools/test_deploy.py",
    "tests/packaging/test_layer_packaging.py",
    "local-cloud/tests/test_inprocess.py",
    "tests/functions/test_invoke_events.py",
    "local-cloud-in-place-updates",
)


def _group(item: pytest.Item) -> str:
    mark = item.get_closest_marker("xdist_group")
    return str(mark.args[0]) if mark and mark.args else item.nodeid.split("::", 1)[0]


@pytest.hookimpl(trylast=True)  # after the integration tests' hook has marked their groups and put the mutating tests last
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(_group(item), len(FIRST)))  # stable: the order within a group is kept
