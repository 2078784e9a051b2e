"""docs/runbook.md checked against the repository: every command it names exists, every flag it passes to
a project tool is accepted, every config-env exists and every Name=value parameter is a template parameter."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from strata_testing import REPO

RUNBOOK = (REPO / "docs" / "runbook.md").read_text()
BLOCKS = re.findall(r"```bash\n(.*?)```", RUNBOOK, re.S)
CODE = "\n".join(BLOCKS + re.findall(r"`([^`\n]+)`", RUNBOOK))
SCRIPTS = json.loads((REPO / "package.json").read_text())["scripts"]
SAMCONFIG = tomllib.loads((REPO / "samconfig.toml").read_text())


def template_parameters() -> set[str]:
    from samcli.yamlhelper import yaml_parse

    names: set[str] = set(yaml_parse((REPO / "template.yaml").read_text())["Parameters"])
    for layer in [*(REPO / "nested").glob("*.yaml"), REPO / "account" / "template.yaml"]:
        names |= set(yaml_parse(layer.read_text()).get("Parameters") or {})
    return names


def test_the_runbook_covers_the_operations_an_operator_needs():
    headings = set(re.findall(r"^## (.+)$", RUNBOOK, re.M))
    for needed in ("Prerequisites", "Account layer", "First deploy of an environment", "HTTPS", "Update one layer", "Roll back",
                   "Rotate the database secret", "An account that already has a Config recorder",
                   "Restore the database from a snapshot", "Change-set guard (plan)", "Tear down dev", "Tear down prod (deliberately)"):
        assert needed in headings


@pytest.mark.parametrize("script", sorted(set(re.findall(r"\bnpm run ([\w:-]+)", CODE))))
def test_every_npm_script_exists(script: str):
    assert script in SCRIPTS


@pytest.mark.parametrize("path", sorted(set(re.findall(r"\b(tools/[\w/.-]+\.(?:py|sh|mjs))", CODE))))
def test_every_tool_exists_and_accepts_the_flags_used_with_it(path: str):
    tool = REPO / path
    assert tool.exists(), path
    source = tool.read_text()
    for line in CODE.splitlines():
        if path in line:
            for flag in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", line.split(path, 1)[1]):
                assert f'"{flag}"' in source, f"{path} does not accept {flag}"


@pytest.mark.parametrize("env", sorted(set(re.findall(r"--config-env (\w+)", CODE))))
def test_every_config_env_exists(env: str):
    assert env in SAMCONFIG and "deploy" in SAMCONFIG[env]


def test_every_parameter_the_runbook_sets_is_a_template_parameter():
    named = set(re.findall(r"\b([A-Z][A-Za-z0-9]+)=", CODE))
    assert named, "the runbook sets no parameter at all?"
    assert named <= template_parameters(), sorted(named - template_parameters())


def test_every_logical_id_it_names_exists():
    from samcli.yamlhelper import yaml_parse

    root = yaml_parse((REPO / "template.yaml").read_text())["Resources"]
    for stack, logical_id in set(re.findall(r"\b(\w+Stack)/(\w+)", RUNBOOK)):
        layer = REPO / root[stack]["Properties"]["TemplateURL"]
        assert logical_id in yaml_parse(layer.read_text())["Resources"], f"{stack}/{logical_id}"
