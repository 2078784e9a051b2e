"""S3 bucket policies as AWS evaluates them for the caller's own requests (moto_patches/s3.py, bucket_permission):
explicit deny wins, conditions decide whether a statement applies, SDK requests arrive over TLS. Each
refusal has its accepted twin."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest


def bucket_permission(*args: Any) -> Any:
    """moto_patches.s3's, imported when a test calls it: importing the patches imports moto's EC2 and RDS models, which
    each of a test run's workers would otherwise do while collecting."""
    from strata_local_cloud.moto_patches.s3 import bucket_permission

    return bucket_permission(*args)


ARN = "arn:aws:s3:::logs"
TLS_ONLY = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [ARN, f"{ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
SERVICE_WRITE = {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                 "Resource": f"{ARN}/*", "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}
DENY_WRITES = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{ARN}/*"}


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize(("statements", "context", "action", "expected"), [
    # aws:SecureTransport: refused over plain HTTP, accepted over TLS
    ((TLS_ONLY,), {"aws:securetransport": "false"}, "s3:PutObject", "DENIED"),
    ((TLS_ONLY,), {"aws:securetransport": "true"}, "s3:PutObject", "NEUTRAL"),
    # a statement for a service principal does not apply to the account's own caller
    ((TLS_ONLY, SERVICE_WRITE), {"aws:securetransport": "true"}, "s3:PutObject", "NEUTRAL"),
    # an explicit deny of writes wins; reads stay as they were
    ((TLS_ONLY, DENY_WRITES), {"aws:securetransport": "true"}, "s3:PutObject", "DENIED"),
    ((TLS_ONLY, DENY_WRITES), {"aws:securetransport": "true"}, "s3:DeleteObject", "NEUTRAL"),
    # a condition on a key the request does not carry makes the statement not apply, unless ...IfExists
    (({**DENY_WRITES, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}},), {}, "s3:PutObject", "NEUTRAL"),
    (({**DENY_WRITES, "Condition": {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}},), {}, "s3:PutObject", "DENIED"),
    # action names are case-insensitive
    (({**DENY_WRITES, "Action": "S3:putobject"},), {}, "s3:PutObject", "DENIED"),
])
def test_bucket_policy_evaluation(statements, context, action, expected):
    assert bucket_permission(policy(*statements), action, f"{ARN}/key", context) == expected


def test_an_operator_the_local_cloud_does_not_evaluate_fails_loudly():
    with pytest.raises(NotImplementedError, match="NumericLessThan"):
        bucket_permission(policy({**DENY_WRITES, "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}}),
                          "s3:PutObject", f"{ARN}/k", {"s3:max-keys": "5"})


def test_a_tls_only_bucket_takes_sdk_writes_and_a_deny_of_writes_refuses_them(aws):
    s3, bucket = aws("s3"), f"policy-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}"
    tls_only = {**TLS_ONLY, "Resource": [arn, f"{arn}/*"]}
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(tls_only))
    s3.put_object(Bucket=bucket, Key="k", Body=b"accepted over TLS, as every SDK call to S3 is")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(tls_only, {**DENY_WRITES, "Resource": f"{arn}/*"}))
    with pytest.raises(s3.exceptions.ClientError, match=r"403|AccessDenied|Forbidden"):
        s3.put_object(Bucket=bucket, Key="k2", Body=b"refused")
    s3.delete_object(Bucket=bucket, Key="k")  # deleting is still allowed
