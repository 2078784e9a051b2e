"""Each project policy rule flags its failing fixture and passes its passing fixture (clean under every rule)."""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache

import pytest

from strata_testing import REPO, tool

RULES_DIR = REPO / "policies" / "cfn-lint"
FIXTURES = REPO / "tests" / "policies" / "fixtures"
RULE_IDS = sorted(set(re.findall(r'^\s+id = "(E9\d{3})"', (RULES_DIR / "strata_rules.py").read_text(), re.M)))
# one worker runs them all, so the one cfn-lint run below is made once (each worker would make its own)
pytestmark = pytest.mark.xdist_group("policy-rule-fixtures")


@lru_cache(maxsize=1)
def findings() -> dict[str, set[str]]:
    """Rule ids reported per fixture file, from one cfn-lint run over all fixtures."""
    files = sorted(str(p) for p in FIXTURES.glob("*/*.yaml"))
    out = subprocess.run(
        [tool("cfn-lint"), "--append-rules", str(RULES_DIR), "--format", "parseable", "--", *files],
        capture_output=True, text=True, check=False,
    )
    result: dict[str, set[str]] = {f: set() for f in files}
    for line in out.stdout.splitlines():
        parts = line.split(":")
        if len(parts) >= 6:
            result.setdefault(parts[0], set()).add(parts[5])
    return result


def test_every_rule_has_a_passing_and_a_failing_fixture() -> None:
    assert len(RULE_IDS) == 8
    for rule in RULE_IDS:
        assert (FIXTURES / rule / "pass.yaml").is_file(), f"{rule} has no passing fixture"
        assert (FIXTURES / rule / "fail.yaml").is_file(), f"{rule} has no failing fixture"


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_passes_its_passing_fixture(rule: str) -> None:
    assert findings()[str(FIXTURES / rule / "pass.yaml")] == set()


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_flags_its_failing_fixture_and_nothing_else(rule: str) -> None:
    assert findings()[str(FIXTURES / rule / "fail.yaml")] == {rule}
