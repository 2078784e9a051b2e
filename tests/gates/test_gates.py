"""The policy gates: cfn-lint (with the project rules), `sam validate --lint` and checkov report nothing."""

from __future__ import annotations

import json
import subprocess

import pytest

from strata_testing import CHECKOV, REPO, SCRIPT, sam_cli, tool, zygote_env

TEMPLATES = ["template.yaml", *sorted(str(p.relative_to(REPO)) for p in (REPO / "nested").glob("*.yaml")), "account/template.yaml",
             *sorted(str(p.relative_to(REPO)) for p in (REPO / "org").glob("*.yaml"))]


def test_cfn_lint_reports_nothing_with_the_project_rules() -> None:
    # cfn-lint's own command (a Python script in the virtualenv), run through SCRIPT: forked from the test run's zygote,
    # which imported cfn-lint for sam validate --lint (main.sh's test runs it as the user does)
    out = subprocess.run(
        [*SCRIPT, tool("cfn-lint"), "--append-rules", "policies/cfn-lint", "--", *TEMPLATES],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == ""


def test_cfn_lint_reports_nothing_on_the_sample_events_prerequisites() -> None:
    """events/prerequisites/*.yaml exist only in a throw-away local cloud for one `npm run invoke`: the registry rules
    apply (AWS would accept them), the project's production rules (flow logs, deletion protection) do not."""
    prerequisites = sorted(str(p.relative_to(REPO)) for p in (REPO / "events" / "prerequisites").glob("*.yaml"))
    assert prerequisites
    out = subprocess.run([*SCRIPT, tool("cfn-lint"), "--", *prerequisites], cwd=REPO, capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr


def test_no_blanket_cfn_lint_ignore_list() -> None:
    for name in (".cfnlintrc", ".cfnlintrc.yaml", ".cfnlintrc.json"):
        path = REPO / name
        assert not path.exists() or "ignore_checks" not in path.read_text(), f"{name} holds a blanket ignore list"


@pytest.mark.parametrize("template", ["template.yaml", "account/template.yaml", "org/stackset.yaml", "org/artifacts.yaml"])
def test_sam_validate_lint_passes(template: str) -> None:
    out = subprocess.run(
        sam_cli("validate", "--lint", "--template-file", template),
        cwd=REPO, capture_output=True, text=True, check=False, env={"SAM_CLI_TELEMETRY": "0", "PATH": "/usr/bin:/bin", **zygote_env()},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "is a valid SAM Template" in out.stdout + out.stderr


def test_checkov_reports_no_failed_check() -> None:
    out = subprocess.run(
        [str(CHECKOV), "--framework", "cloudformation", "--skip-download", "--output", "json", "--quiet", "--compact",
         *[arg for t in TEMPLATES for arg in ("--file", t)]],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    reports = json.loads(out.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    summary = {k: sum(r["summary"][k] for r in reports) for k in ("passed", "failed", "skipped", "parsing_errors")}
    failed = [f'{c["check_id"]} {c["resource"]} ({c["file_path"]})' for r in reports for c in r["results"]["failed_checks"]]
    assert failed == []
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 100, summary


def test_no_blanket_checkov_skip_list() -> None:
    for name in (".checkov.yaml", ".checkov.yml"):
        path = REPO / name
        assert not path.exists() or "skip-check" not in path.read_text(), f"{name} holds a blanket skip list"
