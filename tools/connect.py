"""Log in to a deployed Strata database over TLS with its managed secret, with the MariaDB/MySQL client.

    .venv/bin/python tools/connect.py --stack strata-local                     # an interactive session
    .venv/bin/python tools/connect.py --stack strata-local -e "SELECT 1"       # one statement
    .venv/bin/python tools/connect.py --stack strata-dev --ca-bundle global-bundle.pem   # on AWS

Reads the endpoint and the secret's ARN from the stack's outputs and the password from Secrets Manager; the password
goes to the client in a defaults file only this user can read, removed afterwards, never on a command line or in
a log. On AWS the client verifies the server's certificate and host name against the RDS CA bundle
(https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem,
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html); from outside the VPC that needs a
route to the data subnets (a bastion or Session Manager port forwarding), which the baseline does not open.

Against the local cloud the database is the real MariaDB server the local cloud runs behind the RDS instance, on a
loopback port its data plane names (GET /_strata/dataplane); the session is TLS with the local CA, and the host
name is not checked there (the server's certificate names the RDS host, not 127.0.0.1; the post-deploy TLS
verification connects by that name and checks it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import boto3


def local_dataplane() -> dict[str, Any] | None:
    """The local cloud's data plane (routes and CA), or None when the endpoint is not a local cloud."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if urllib.parse.urlsplit(endpoint).hostname not in ("127.0.0.1", "localhost"):
        return None
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + "/_strata/dataplane", timeout=10) as answer:
            return json.loads(answer.read())
    except OSError:
        return None


def local_port(plane: dict[str, Any], host: str, port: int) -> int | None:
    route = plane.get("routes", {}).get(f"{host}:{port}")
    return int(route["port"]) if route else None


def outputs(cf: Any, stack: str) -> dict[str, str]:
    root = cf.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in root.get("Outputs", [])}


def client_command(out: dict[str, str], secret: dict[str, str], plane: dict[str, Any] | None, ca_bundle: Path | None,
                   defaults: Path) -> list[str]:
    """The client's command line (the password is in `defaults`, written by the caller)."""
    client = shutil.which("mariadb") or shutil.which("mysql")
    if not client:
        raise SystemExit("no MariaDB/MySQL client on this machine (bash tools/setup.sh installs mariadb-client)")
    host, port = out["DbEndpointAddress"], int(out["DbEndpointPort"])
    if plane is not None:
        local = local_port(plane, host, port)
        if local is None:
            why = plane.get("unavailable", {}).get(f"{host}:{port}", "the local cloud serves no database there")
            raise SystemExit(f"{host}:{port}: {why}")
        return [client, f"--defaults-extra-file={defaults}", "--host=127.0.0.1", f"--port={local}", f"--user={secret['username']}",
                "--ssl", f"--ssl-ca={plane['ca']}"]
    if ca_bundle is None:
        raise SystemExit("--ca-bundle: the RDS CA bundle the server's certificate is verified against "
                         "(https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)")
    return [client, f"--defaults-extra-file={defaults}", f"--host={host}", f"--port={port}", f"--user={secret['username']}",
            "--ssl", f"--ssl-ca={ca_bundle}", "--ssl-verify-server-cert"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--ca-bundle", type=Path, help="on AWS: the RDS CA bundle (global-bundle.pem)")
    parser.add_argument("-e", "--execute", help="run this statement and exit")
    args = parser.parse_args()
    cf = boto3.client("cloudformation", region_name=args.region)
    out = outputs(cf, args.stack)
    if "DbSecretArn" not in out:
        raise SystemExit(f"{args.stack} has no DbSecretArn output: is it a Strata environment stack?")
    secret = json.loads(boto3.client("secretsmanager", region_name=args.region).get_secret_value(SecretId=out["DbSecretArn"])["SecretString"])
    with tempfile.TemporaryDirectory(prefix="strata-connect-") as scratch:
        defaults = Path(scratch) / "client.cnf"
        defaults.touch(mode=0o600)
        # the client's option file format: a value in double quotes, with \\ and \" escaped
        password = secret["password"].replace("\\", "\\\\").replace('"', '\\"')
        defaults.write_text(f'[client]\npassword="{password}"\n')
        command = client_command(out, secret, local_dataplane(), args.ca_bundle, defaults)
        if args.execute:
            command += ["--batch", "-e", args.execute]
        return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
