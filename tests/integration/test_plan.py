"""The change-set guard (tools/plan.py) against a dev deployment in the local cloud."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deployment import REPO, Deployment
from strata_testing import SCRIPT

PLAN = REPO / "tools" / "plan.py"


@pytest.fixture(scope="module")
def dev(deployed: Deployment) -> Deployment:
    """The shared dev deployment (conftest.py): the guard only previews, and each test leaves no change set behind."""
    return deployed


def edited_build(sam_build: Path, tmp: Path, edit) -> Path:
    build = tmp / "build"
    shutil.copytree(sam_build, build)
    layer = build / "DatabaseStack" / "template.yaml"
    text = layer.read_text()
    changed = edit(text)
    assert changed != text, "the database layer no longer reads as expected; pick another create-only property"
    layer.write_text(changed)
    return build / "template.yaml"


def _rename_database(text: str) -> str:
    return re.sub(r"DBName:(?: !Ref DatabaseName|\s*\n\s+Ref: DatabaseName)", "DBName: renamed", text)


@pytest.fixture(scope="module")
def renamed_database(sam_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the build where the database layer changes DBName, a create-only property: RDS replaces the
    instance, which keeps its fixed DBInstanceIdentifier."""
    return edited_build(sam_build, tmp_path_factory.mktemp("renamed"), _rename_database)


@pytest.fixture(scope="module")
def renamed_database_and_instance(sam_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same change together with a new DBInstanceIdentifier: a replacement that can succeed."""
    def edit(text: str) -> str:
        text = _rename_database(text)
        return re.sub(r"DBInstanceIdentifier:(?: !Sub '?strata-\$\{EnvironmentSuffix\}-mysql'?|\s*\n\s+Fn::Sub: '?strata-\$\{EnvironmentSuffix\}-mysql'?)",
                      "DBInstanceIdentifier: !Sub 'strata-${EnvironmentSuffix}-mysql-2'", text)
    return edited_build(sam_build, tmp_path_factory.mktemp("renamed-both"), edit)


def plan(dev: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCRIPT, str(PLAN), "--config-env", "local", *args], env=dev.env, capture_output=True, text=True, cwd=REPO)


def test_no_change_is_reported_as_such(dev: Deployment):
    result = plan(dev)
    assert (result.returncode, result.stdout.strip()) == (0, "strata-local: no changes"), result.stderr


def test_a_harmless_change_passes_and_lists_the_layer(dev: Deployment):
    from test_lifecycle import overrides

    result = plan(dev, "--parameter-overrides", overrides("local", AlarmEmail="ops@example.com"))
    assert result.returncode == 0, result.stderr
    assert re.search(r"root\s+Modify\s+SecurityStack", result.stdout)
    assert re.search(r"SecurityStack\s+Add\s+AlarmEmailSubscription|SecurityStack\s+Add\s+\w+\s+AWS::SNS::Subscription", result.stdout)
    assert "DatabaseStack" not in result.stdout


def test_replacing_the_database_is_refused_naming_it_and_the_flag(dev: Deployment, renamed_database: Path):
    result = plan(dev, "--template-file", str(renamed_database))
    assert result.returncode == 2
    assert re.search(r"DatabaseStack\s+Replace\s+DbInstance\s+AWS::RDS::DBInstance\s+DBName", result.stdout)
    assert "REFUSED" in result.stderr and "--allow-replace DatabaseStack/DbInstance" in result.stderr
    # nothing was changed and no change set is left behind
    cf = dev.client("cloudformation")
    assert cf.describe_stacks(StackName="strata-local")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert cf.list_change_sets(StackName="strata-local")["Summaries"] == []


def test_a_replacement_that_keeps_a_fixed_name_is_refused_even_with_the_override(dev: Deployment, renamed_database: Path):
    result = plan(dev, "--template-file", str(renamed_database), "--allow-replace", "DatabaseStack/DbInstance")
    assert result.returncode == 2
    assert "cannot succeed" in result.stderr
    assert re.search(r"Replace\s+DatabaseStack/DbInstance .*give DBInstanceIdentifier a new value", result.stderr)


def test_the_override_allows_only_the_named_resource(dev: Deployment, renamed_database_and_instance: Path):
    allowed = plan(dev, "--template-file", str(renamed_database_and_instance), "--allow-replace", "DatabaseStack/DbInstance")
    assert allowed.returncode == 0, allowed.stderr
    assert "allowed by --allow-replace: Replace DatabaseStack/DbInstance" in allowed.stdout
    assert "cannot succeed" not in allowed.stderr
    other = plan(dev, "--template-file", str(renamed_database_and_instance), "--allow-replace", "StorageStack/AccessLogsBucket")
    assert other.returncode == 2 and "DatabaseStack/DbInstance" in other.stderr


def test_a_stale_build_is_detected_per_template(sam_build: Path, tmp_path: Path):
    sys.path.insert(0, str(REPO / "tools"))
    import plan as plan_tool

    sources = tmp_path / "src"
    shutil.copytree(REPO / "nested", sources / "nested")
    shutil.copy(REPO / "template.yaml", sources / "template.yaml")
    assert plan_tool.stale_templates(sam_build, sources / "template.yaml") == []  # the build is of these sources

    layer = sources / "nested" / "database.yaml"
    layer.write_text(layer.read_text().replace("slow_query_log: '1'", "slow_query_log: '0'"))
    assert plan_tool.stale_templates(sam_build, sources / "template.yaml") == ["nested/database.yaml"]
    assert plan_tool.stale_templates(tmp_path / "no-build", sources / "template.yaml") == ["template.yaml"]
