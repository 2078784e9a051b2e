"""tools/teardown.py against the local cloud: a stack whose first create could not even roll back."""

from __future__ import annotations

import json
import subprocess
import uuid

import boto3
import pytest

from strata_testing import REPO, SCRIPT, wait_stack

pytestmark = pytest.mark.integration


def teardown(env: dict[str, str], stack: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCRIPT, str(REPO / "tools" / "teardown.py"), "--stack", stack, "--timeout", "60", *flags],
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_stack_in_rollback_failed_with_resources_never_created_is_torn_down(aws_env, moto_server):
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    cf, rds = (session.client(s, endpoint_url=moto_server) for s in ("cloudformation", "rds"))
    name = f"teardown-{uuid.uuid4().hex[:8]}"
    # The database refuses its delete (deletion protection), so the rollback fails; the storage layer never
    # got created (its template does not exist), so it is listed without a PhysicalResourceId.
    template = {
        "Parameters": {"EnvironmentType": {"Type": "String"}},
        "Resources": {
            "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
                "DBInstanceIdentifier": name, "Engine": "mysql", "DBInstanceClass": "db.t4g.micro", "AllocatedStorage": 20,
                "MasterUsername": "admin", "ManageMasterUserPassword": True, "DeletionProtection": True}},
            "StorageStack": {"Type": "AWS::CloudFormation::Stack", "DependsOn": "Db", "Properties": {
                "TemplateURL": "https://s3.us-east-1.amazonaws.com/no-such-bucket-for-tests/storage.yaml"}},
        },
    }
    stack_id = cf.create_stack(StackName=name, TemplateBody=json.dumps(template),
                               Parameters=[{"ParameterKey": "EnvironmentType", "ParameterValue": "dev"}])["StackId"]
    assert wait_stack(cf, stack_id)["StackStatus"] == "ROLLBACK_FAILED"
    storage = [r for r in cf.list_stack_resources(StackName=stack_id)["StackResourceSummaries"] if r["LogicalResourceId"] == "StorageStack"]
    assert [r.get("PhysicalResourceId") for r in storage] in ([], [None], [""])

    refused = teardown(aws_env, name)
    assert refused.returncode == 1, refused.stderr
    assert "Traceback" not in refused.stderr
    assert "DELETE_FAILED" in refused.stderr and "Db" in refused.stderr

    rds.modify_db_instance(DBInstanceIdentifier=name, DeletionProtection=False, ApplyImmediately=True)
    done = teardown(aws_env, name)
    assert done.returncode == 0, done.stderr
    assert f"deleted {name}" in done.stdout
    assert cf.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
