"""What was deployed, opened on this machine as the summary says: the application URL answers as the load balancer
would, and the database takes a real login over TLS with the managed secret (tools/connect.py)."""

from __future__ import annotations

import re
import subprocess
import urllib.error
import urllib.request

import pytest

from deployment import REPO, Deployment
from strata_testing import SCRIPT

pytestmark = pytest.mark.integration


def summary(deployed: Deployment, stack: str = "strata-local") -> str:
    done = subprocess.run([*SCRIPT, str(REPO / "tools" / "summary.py"), "--stack", stack], env=deployed.env, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout


def connect(deployed: Deployment, stack: str, statement: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCRIPT, str(REPO / "tools" / "connect.py"), "--stack", stack, "-e", statement], env=deployed.env,
                          capture_output=True, text=True, timeout=120)


def test_the_application_url_opens_locally_and_answers_as_the_load_balancer(deployed: Deployment):
    text = summary(deployed)
    local = re.search(r"locally (http://127\.0\.0\.1:\d+/) : the local listener answers as the load balancer would", text)
    assert local, text
    assert "does not run the app tier's instances" in text
    # dev: HTTP forwarding to a target group with no healthy target: 503, as the ALB answers then
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(local.group(1), timeout=10)
    assert answer.value.code == 503


def test_the_database_takes_a_real_login_over_tls_with_the_managed_secret(deployed: Deployment):
    text = summary(deployed)
    assert "tools/connect.py --stack strata-local" in text and "the password is never printed" in text
    done = connect(deployed, "strata-local", "SHOW STATUS LIKE 'Ssl_version'; SELECT CURRENT_USER()")
    assert done.returncode == 0, done.stderr
    assert re.search(r"Ssl_version\tTLSv1\.[23]", done.stdout), done.stdout
    secret = deployed.client("secretsmanager")
    arn = next(o["OutputValue"] for o in deployed.client("cloudformation").describe_stacks(StackName="strata-local")["Stacks"][0]["Outputs"]
               if o["OutputKey"] == "DbSecretArn")
    assert secret.get_secret_value(SecretId=arn)["SecretString"] not in done.stdout + done.stderr


def test_connect_refuses_a_stack_that_has_no_database(deployed: Deployment):
    done = connect(deployed, "strata-account", "SELECT 1")
    assert done.returncode != 0 and "strata-account has no DbSecretArn output" in done.stderr


def test_invoke_against_the_kept_cloud_reaches_the_deployed_database_through_its_data_plane(deployed: Deployment, tmp_path):
    """`npm run invoke -- tls-verification <event> --endpoint URL` with the deployed endpoints in the event: the function
    reaches the real MariaDB behind the instance as the local cloud's own functions do, and every database check passes."""
    import json

    from deployment import Baseline

    found = Baseline.read(deployed.client, "strata-local")
    [group] = found.resources("Database", "AWS::RDS::DBParameterGroup").values()
    event = json.loads((REPO / "events" / "tls-verification-create.json").read_text())
    event["ResourceProperties"].update(DbEndpoint=found.outputs["DbEndpointAddress"], DbPort=found.outputs["DbEndpointPort"],
                                       DbSecretArn=found.outputs["DbSecretArn"], DbParameterGroupName=group,
                                       AlbDnsName=found.outputs["LoadBalancerDnsName"])
    (tmp_path / "event.json").write_text(json.dumps(event))
    done = subprocess.run(["node", "tools/invoke.mjs", "tls-verification", str(tmp_path / "event.json"), "--endpoint", deployed.cloud.url],
                          cwd=REPO, env=deployed.env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(done.stdout.split("response sent to CloudFormation", 1)[1].split("\n", 1)[1])["Data"]
    for check in ("DatabaseTls", "RequireSecureTransport", "TlsLogin", "PlaintextLoginRefused"):
        assert data[check].startswith("pass: "), (check, data[check])
