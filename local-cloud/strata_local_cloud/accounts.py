"""Keys for another account of the local cloud, as moto selects accounts: an access key issued by STS AssumeRole into
a role of account X acts in X (moto needs no such role to exist). The engine acts in member accounts with them, and
the tests and the fidelity corpus call as those accounts."""

from __future__ import annotations

import functools
from typing import Any

import boto3

DEFAULT_ACCOUNT = "123456789012"  # moto's default account: the test keys act in it


@functools.cache
def _session() -> boto3.session.Session:
    """One session for the STS clients below: each new session parses botocore's endpoint data again (a second of CPU
    in a test run that asked for keys per case)."""
    return boto3.session.Session()


def keys_for(url: str, account: str, role: str = "strata-local-cloud", client: Any = None) -> dict[str, str]:
    """boto3 credential arguments (aws_access_key_id, aws_secret_access_key, aws_session_token) acting in `account`."""
    sts = client or _session().client("sts", region_name="us-east-1", endpoint_url=url, aws_access_key_id="testing",
                                      aws_secret_access_key="testing")
    found = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="strata-local-cloud")["Credentials"]
    return {"aws_access_key_id": found["AccessKeyId"], "aws_secret_access_key": found["SecretAccessKey"],
            "aws_session_token": found["SessionToken"]}


def session_for(url: str, account: str | None, region: str = "us-east-1") -> boto3.session.Session:
    """A session acting in `account` (None: the default account) against the local cloud at `url`."""
    keys = keys_for(url, account) if account else {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.session.Session(aws_access_key_id=keys["aws_access_key_id"], aws_secret_access_key=keys["aws_secret_access_key"],
                                 aws_session_token=keys.get("aws_session_token"), region_name=region)
