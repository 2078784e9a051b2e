"""The deploy workflow (.github/workflows/deploy.yml) checked against the repository and the two-level model: the
organization's account layer before any environment, each environment per account and region from its own matrix
with an OIDC role per account, prod behind its reviewers after staging, and every tool flag it passes accepted."""

from __future__ import annotations

import re

import yaml

from strata_testing import REPO

WORKFLOW = yaml.safe_load((REPO / ".github" / "workflows" / "deploy.yml").read_text())
JOBS = WORKFLOW["jobs"]


def runs(job: str) -> list[str]:
    return [s["run"] for s in JOBS[job]["steps"] if "run" in s]


def test_the_account_layer_goes_first_then_dev_staging_prod_in_order():
    assert JOBS["organization"]["needs"] == "test"
    assert set(JOBS["dev"]["needs"]) == {"test", "organization"}
    assert JOBS["staging"]["needs"] == "dev" and JOBS["prod"]["needs"] == "staging"
    assert any("tools/organization.py deploy" in r for r in runs("organization"))


def test_each_environment_deploys_per_account_and_region_with_its_own_role_and_prod_is_reviewed():
    assert WORKFLOW["permissions"] == {"contents": "read", "id-token": "write"}  # OIDC, no stored keys
    for env in ("dev", "staging", "prod"):
        job = JOBS[env]
        assert job["environment"] == env
        assert job["strategy"]["matrix"]["target"] == f"${{{{ fromJSON(vars.STRATA_{env.upper()}_TARGETS) }}}}"
        [creds] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")]
        assert creds["with"]["role-to-assume"] == "${{ matrix.target.role }}"
        assert creds["with"]["aws-region"] == "${{ matrix.target.region }}"
        deploy = [r for r in runs(env) if r.startswith(".venv/bin/sam deploy")]
        assert deploy == [f".venv/bin/sam deploy --config-env {env} --region ${{{{ matrix.target.region }}}} --no-confirm-changeset "
                          "--no-fail-on-empty-changeset"]
    assert JOBS["prod"]["strategy"]["max-parallel"] == 1  # one prod account-region at a time
    for env in ("staging", "prod"):  # the change-set guard runs before the deploy, in the same region
        plan, deploy = [i for i, r in enumerate(runs(env)) if "tools/plan.py" in r], [i for i, r in enumerate(runs(env)) if "sam deploy" in r]
        assert plan and plan[0] < deploy[0] and "--region ${{ matrix.target.region }}" in runs(env)[plan[0]]


def test_every_flag_passed_to_a_project_tool_is_accepted():
    for job in JOBS.values():
        for step in job["steps"]:
            for path, rest in re.findall(r"(tools/[\w.-]+\.py)(.*)", step.get("run", "")):
                source = (REPO / path).read_text()
                for flag in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest):
                    assert f'"{flag}"' in source, f"{path} does not accept {flag}"


def test_every_npm_script_that_runs_a_tool_turns_telemetry_off() -> None:
    """SAM's and turbo's telemetry are off in every command we offer: npm start and npm test export the opt-outs, and
    every other script that runs turbo, the SAM CLI or a project tool exports them for the whole script."""
    import json

    scripts = json.loads((REPO / "package.json").read_text())["scripts"]
    opt_out = "export SAM_CLI_TELEMETRY=0 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 && "
    for name, command in scripts.items():
        if command.startswith("bash tools/"):
            script = (REPO / command.split()[1]).read_text()
            assert name == "setup" or "export SAM_CLI_TELEMETRY=0 TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1" in script, name
        elif re.search(r"\bturbo\b|\bsam\b|tools/|bench/|\.venv/bin", command):
            assert command.startswith(opt_out), f"npm run {name}: starts without the telemetry opt-outs"
