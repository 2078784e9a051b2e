"""The fidelity corpus (tests/corpus/): every refusal AWS makes that the local cloud emulates, with its accepted
twin, run against the session's local cloud; and the bookkeeping that keeps the corpus, the rules registry,
the benchmark's results and the README tables in step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from strata_local_cloud import fidelity
from strata_local_cloud.rules import CLASSES, load

ROOT = Path(__file__).resolve().parents[2]
CASES = fidelity.load_corpus()


@pytest.fixture(scope="module")
def clients(moto_server: str) -> fidelity.Clients:
    return fidelity.clients_for(moto_server)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_case_behaves_as_aws(case: fidelity.Case, clients: fidelity.Clients) -> None:
    result = fidelity.run_case(case, clients)
    assert result.ok, "; ".join(result.problems)


def test_every_rule_has_a_case_of_its_class_and_every_case_names_a_rule() -> None:
    rules = load()
    for case in CASES:
        assert case.rule in rules, f"{case.id} names {case.rule}, which no code declares (rules.rule)"
        assert rules[case.rule].cls == case.cls, f"{case.id} is in {case.cls}.yaml but {case.rule} is a {rules[case.rule].cls} rule"
        assert case.source.startswith(("https://", "local-cloud/")), f"{case.id} cites no source"
    uncovered = sorted(set(rules) - {c.rule for c in CASES})
    assert not uncovered, f"rules without a refusal/acceptance case in tests/corpus: {uncovered}"


def test_each_class_has_at_least_five_pairs() -> None:
    for cls in CLASSES:
        assert sum(c.cls == cls for c in CASES) >= 5, cls


def _template_types() -> set[str]:
    from strata_local_cloud.cfn import template as tpl

    types: set[str] = set()
    for path in [ROOT / "template.yaml", *sorted((ROOT / "nested").glob("*.yaml"))]:
        parsed: dict[str, Any] = tpl.parse(path.read_text())
        types |= {str(r["Type"]) for r in parsed.get("Resources", {}).values()}
    return types


def test_every_type_in_the_templates_is_validated_against_its_registry_schema() -> None:
    from strata_local_cloud.cfn.validation import is_known, is_validated

    types = {t for t in _template_types() if not t.startswith(("Custom::", "AWS::Serverless::"))}
    assert types, "no resource types found in the templates"
    assert [t for t in sorted(types) if not (is_validated(t) and is_known(t))] == []


def test_the_benchmark_results_cover_the_corpus() -> None:
    """bench/results/fidelity.json is written by npm run bench:fidelity; the docs' tables are rendered from it (and
    from the code) by npm run docs, whose staleness test is tests/templates/tests/docs-blocks.test.ts. Adding a case
    or a rule without running the benchmark fails here."""
    data = json.loads((ROOT / "bench" / "results" / "fidelity.json").read_text())
    assert sorted(data["cases"]) == sorted(c.id for c in CASES), "run npm run bench:fidelity: the corpus changed"
    assert data["total"]["as_aws"] == data["total"]["cases"], [k for k, v in data["cases"].items() if not v["as_aws"]]


def test_print_renders_the_docs_tables_without_running_the_corpus() -> None:
    out = subprocess.run([sys.executable, "-m", "strata_local_cloud.fidelity", "--print", "fidelity"], capture_output=True, text=True, check=True)
    data = json.loads((ROOT / "bench" / "results" / "fidelity.json").read_text())
    assert out.stdout.strip() == fidelity.fidelity_table(data)
    types = subprocess.run([sys.executable, "-m", "strata_local_cloud.fidelity", "--print", "types"], capture_output=True, text=True, check=True)
    assert "| `AWS::RDS::DBInstance` |" in types.stdout
