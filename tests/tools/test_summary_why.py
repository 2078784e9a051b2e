"""`tools/summary.py --why` (run by `npm start` when the deploy fails) names the real cause: the change set's
pre-deployment validation findings, which SAM CLI does not print, or the first failed resource."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

from strata_testing import REPO


def why(env: dict[str, str], stack: str) -> str:
    done = subprocess.run([sys.executable, str(REPO / "tools" / "summary.py"), "--stack", stack, "--why"], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stderr


def test_a_change_set_refused_by_validation_names_the_property(aws_env, aws):
    cf, name = aws("cloudformation"), f"why-{uuid.uuid4().hex[:8]}"
    body = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 13}}}}
    cf.create_change_set(StackName=name, ChangeSetName="c1", ChangeSetType="CREATE", TemplateBody=json.dumps(body))
    out = why(aws_env, name)
    assert "/Resources/Logs/Properties/RetentionInDays" in out and "13 is not a valid enum value" in out, out


def test_a_failed_create_names_its_first_failed_resource_not_the_rollback(aws_env, aws, deploy):
    name = f"why-{uuid.uuid4().hex[:8]}"
    body = {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.90.0.0/16"}},
                          "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.90.1.0/29"}}}}
    assert deploy(name, body)["StackStatus"] == "ROLLBACK_COMPLETE"
    out = why(aws_env, name)
    assert out.startswith("first failure: Subnet (AWS::EC2::Subnet) CREATE_FAILED") and "10.90.1.0/29" in out, out
