"""tools/deploy.py, the `sam deploy` the main job runs: progress from the stack's events as they happen, and on a
failure the real cause (the first failed resource and its layer, or the change set's validation findings, or SAM's
own refusal), never the tail of the rollback."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import uuid
from pathlib import Path

import pytest

from strata_testing import REPO, SCRIPT, sam_cli

pytestmark = pytest.mark.integration

DEPLOY = REPO / "tools" / "deploy.py"


def why(env: dict[str, str], stack: str) -> str:
    done = subprocess.run([*SCRIPT, str(DEPLOY), "--why", "--stack", stack], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stderr


def project(tmp_path: Path, layer: dict, parameters: dict | None = None) -> Path:
    """A root template with one layer, a nested stack from a local file, as the baseline's layers are."""
    (tmp_path / "layer.yaml").write_text(json.dumps({"Resources": layer}))
    root = {"Resources": {"LayerStack": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "layer.yaml"}}}}
    if parameters:
        root["Parameters"] = parameters
    (tmp_path / "template.yaml").write_text(json.dumps(root))
    return tmp_path


def run(env: dict[str, str], cwd: Path, stack: str, *extra: str) -> subprocess.CompletedProcess[str]:
    # the SAM CLI forked from the test run's zygote (sam_cli): the subject is deploy.py's own output
    return subprocess.run([*SCRIPT, str(DEPLOY), "--sam", shlex.join(sam_cli()), "--log", str(cwd / "deploy.log"), "--stack-name", stack, "--s3-bucket",
                           "deploy-tool-tests", "--region", "us-east-1", "--no-confirm-changeset", *extra],
                          cwd=cwd, env={**env, "SAM_CLI_TELEMETRY": "0"}, capture_output=True, text=True, timeout=300)


@pytest.fixture()
def bucket(aws) -> str:
    aws("s3").create_bucket(Bucket="deploy-tool-tests")
    return "deploy-tool-tests"


def test_each_layer_is_told_as_it_starts_and_finishes_with_its_time(aws_env, aws, bucket, tmp_path):
    name = f"deploy-{uuid.uuid4().hex[:8]}"
    cwd = project(tmp_path, {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}})
    result = run(aws_env, cwd, name)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    started = next(i for i, line in enumerate(lines) if re.fullmatch(r"\s+LayerStack\s+create in progress \(layer\)", line))
    finished = next(i for i, line in enumerate(lines) if re.fullmatch(r"\s+LayerStack\s+create complete in \d+ s", line))
    assert started < finished
    assert re.fullmatch(rf"{name}: CREATE_COMPLETE in \d+ s \(full output: .*deploy.log\)", lines[-1]), lines
    assert "Successfully created/updated stack" in (cwd / "deploy.log").read_text()
    # the same deploy again changes nothing, and says so (as the samconfig.toml config-envs run it)
    again = run(aws_env, cwd, name, "--no-fail-on-empty-changeset")
    assert again.returncode == 0 and re.fullmatch(rf"{name}: no changes in \d+ s .*", again.stdout.splitlines()[-1]), again.stdout


def test_a_failed_create_names_its_first_failure_and_layer_not_the_rollback(aws_env, aws, bucket, tmp_path):
    name = f"deploy-{uuid.uuid4().hex[:8]}"
    cwd = project(tmp_path, {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.90.0.0/16"}},
                             "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.90.1.0/29"}}})
    result = run(aws_env, cwd, name)
    assert result.returncode != 0
    failure = [line for line in result.stdout.splitlines() if line.startswith("first failure:")]
    assert len(failure) == 1 and failure[0].startswith("first failure: layer LayerStack, Subnet (AWS::EC2::Subnet) CREATE_FAILED"), result.stdout
    assert "10.90.1.0/29" in failure[0]
    assert re.search(rf"{name}: sam deploy failed after \d+ s \(exit \d+\); the full output is in .*deploy.log", result.stdout)
    cf = aws("cloudformation")
    assert cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    # the post-mortem form says the same
    assert why(aws_env, name).startswith("first failure: layer LayerStack, Subnet (AWS::EC2::Subnet) CREATE_FAILED")


def test_a_refusal_before_any_stack_exists_prints_sams_error(aws_env, bucket, tmp_path):
    name = f"deploy-{uuid.uuid4().hex[:8]}"
    cwd = project(tmp_path, {"Logs": {"Type": "AWS::Logs::LogGroup"}}, parameters={"Owner": {"Type": "String"}})
    result = run(aws_env, cwd, name)
    assert result.returncode != 0
    assert re.search(r"^Error: .*Parameters: \[Owner\] must have values", result.stdout, re.M), result.stdout


def test_a_change_set_refused_by_validation_names_the_property(aws_env, aws):
    cf, name = aws("cloudformation"), f"why-{uuid.uuid4().hex[:8]}"
    body = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 13}}}}
    cf.create_change_set(StackName=name, ChangeSetName="c1", ChangeSetType="CREATE", TemplateBody=json.dumps(body))
    out = why(aws_env, name)
    assert "/Resources/Logs/Properties/RetentionInDays" in out and "13 is not a valid enum value" in out, out


def test_a_failed_create_of_the_root_names_its_resource(aws_env, aws, deploy):
    name = f"why-{uuid.uuid4().hex[:8]}"
    body = {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.90.0.0/16"}},
                          "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.90.1.0/29"}}}}
    assert deploy(name, body)["StackStatus"] == "ROLLBACK_COMPLETE"
    out = why(aws_env, name)
    assert out.startswith("first failure: Subnet (AWS::EC2::Subnet) CREATE_FAILED") and "10.90.1.0/29" in out, out
