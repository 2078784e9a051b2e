"""What was deployed, opened on this machine as the summary says: the application URL answers as the load balancer
would, and the database takes a real login over TLS with the managed secret (tools/connect.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from deployment import REPO, Deployment

pytestmark = pytest.mark.integration


def summary(deployed: Deployment, stack: str = "strata-local") -> str:
    done = subprocess.run([sys.executable, str(REPO / "tools" / "summary.py"), "--stack", stack], env=deployed.env, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout


def connect(deployed: Deployment, stack: str, statement: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "tools" / "connect.py"), "--stack", stack, "-e", statement], env=deployed.env,
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
