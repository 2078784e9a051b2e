"""The account layer's Guard hook rules (account/guard/strata.guard): cfn-guard's own test runner passes every fixture
of account/guard/strata.test.yaml, and every rule has a fixture it passes and one it fails."""

from __future__ import annotations

import re
import subprocess

import yaml

from strata_testing import REPO, tool

RULES = REPO / "account" / "guard" / "strata.guard"
FIXTURES = REPO / "account" / "guard" / "strata.test.yaml"
RULE_NAMES = sorted(set(re.findall(r"^rule (\w+)", RULES.read_text(), re.M)))


def test_cfn_guard_passes_every_fixture() -> None:
    out = subprocess.run([tool("cfn-guard"), "test", "--rules-file", str(RULES), "--test-data", str(FIXTURES)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "FAIL Rules" not in out.stdout


def test_every_rule_has_a_passing_and_a_failing_fixture() -> None:
    cases = yaml.safe_load(FIXTURES.read_text())
    verdicts = {name: {c["expectations"]["rules"].get(name) for c in cases} for name in RULE_NAMES}
    assert RULE_NAMES, "no rule found in strata.guard"
    assert {name: {"PASS", "FAIL"} <= v for name, v in verdicts.items()} == dict.fromkeys(RULE_NAMES, True)


def test_the_hook_targets_every_type_the_rules_read() -> None:
    from samcli.yamlhelper import yaml_parse

    hook = yaml_parse((REPO / "account" / "template.yaml").read_text())["Resources"]["GuardHook"]["Properties"]
    read = set(re.findall(r"ResourceType == '([\w:]+)'", RULES.read_text()))
    assert set(hook["TargetFilters"]["TargetNames"]) == read
    assert hook["TargetFilters"]["Actions"] == ["CREATE", "UPDATE"]  # never DELETE: a rollback or teardown is never stopped
