"""How the integration tests are spread over pytest-xdist workers (conftest.py): by the deployment they share."""

from __future__ import annotations

import pytest


def test_under_loadgroup_each_test_carries_the_group_of_the_deployment_it_uses(request: pytest.FixtureRequest) -> None:
    """The group mark must be on the test before pytest-xdist turns marks into node IDs: a mark added after that is
    ignored, every test becomes a group of its own, and a module's deployment is made again on each worker it lands
    on (as happened, unnoticed, to the organization and prod deployments)."""
    if not getattr(request.config.option, "loadgroup", False):  # set on the workers of a --dist loadgroup run
        pytest.skip("the test command runs pytest with --dist loadgroup; this run does not")
    assert request.node.nodeid.endswith("@integration-test_scheduling"), request.node.nodeid
