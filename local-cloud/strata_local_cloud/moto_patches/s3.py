"""S3: bucket policies evaluated as S3 evaluates them, moto 5.2.5's logging-permission check fixed, and server
access logs delivered only where the destination bucket's policy lets the logging service write.

Each patch names the moto function it replaces and why; remove it when the pinned moto has the fix.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from moto.s3.models import FakeBucket
from moto.s3.utils import LOGGING_SERVICE_PRINCIPAL

from ..iam_eval import Principal, Request, evaluate
from ..rules import rule

NOT_EMPTY = rule(
    "s3-bucket-not-empty", "protection", ("AWS::S3::Bucket",),
    "deleting a bucket that still holds objects (BucketNotEmpty; moto's own check, kept)",
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html (\"All objects ... must be deleted before the bucket itself can be deleted\")")

if TYPE_CHECKING:
    from ..dataplane import DataPlane


def _log_permissions_enabled_policy(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
    """moto's version calls .get() on Principal and fails with HTTP 500 when a statement has `Principal: "*"`
    (as every TLS-only deny statement does). Same rule otherwise: an Allow of s3:PutObject to the logging
    service on the target bucket's objects."""
    if not target_bucket.policy:
        return False
    wanted = {f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}*",
              f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/*", f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"}
    for stmt in json.loads(target_bucket.policy.decode())["Statement"]:
        principal: Any = stmt.get("Principal", {})
        services = principal.get("Service") if isinstance(principal, dict) else None
        services = services if isinstance(services, list) else [services]
        actions = stmt.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        resources = stmt.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        if LOGGING_SERVICE_PRINCIPAL in services and stmt.get("Effect") == "Allow" and "s3:PutObject" in actions and wanted & set(resources):
            return True
    return False


# The request context a bucket policy is evaluated against. Every AWS SDK and the AWS CLI reach S3 endpoints
# over HTTPS, so on AWS their requests carry aws:SecureTransport=true; the local cloud's plain HTTP on
# loopback is the emulator's own transport, not the request's, and is not held against it.
S3_REQUEST_CONTEXT = {"aws:securetransport": "true"}


def bucket_permission(policy: str, action: str, resource: str, context: dict[str, str]) -> str:
    """DENIED, PERMITTED or NEUTRAL for a request by this account's own principal (iam_eval.py). moto's own
    evaluation ignores the Bool operator, so a TLS-only deny (`Bool: aws:SecureTransport false`) denied every
    object request over any transport. Statements naming another principal (a service, an account) do not apply
    to the caller: only "*" does."""
    return evaluate(policy, Request(Principal(), action, resource, dict(context)))


def _get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    from moto.iam.access_control import PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    return PermissionResult[bucket_permission(self.policy.decode(), action, resource, S3_REQUEST_CONTEXT)]


LOG_DELIVERY = rule(
    "s3-access-log-delivery-policy", "permissions", ("AWS::S3::Bucket",),
    "delivering a server access log record into a destination bucket whose policy does not let logging.s3.amazonaws.com "
    "write it (an explicit Deny, or no Allow for the source bucket and account): the record is not delivered",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general "
    "(the logging service principal writes under the destination bucket policy, with aws:SourceArn and aws:SourceAccount); "
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html#LogDeliveryBestEffort (best-effort delivery)")


def _deliver_access_log(original: Any) -> Any:
    """moto writes a log object into the destination bucket on every request to a logging bucket, past the
    destination's policy. S3 delivers as logging.s3.amazonaws.com, so an explicit Deny in the destination policy
    (as Custom::EmptyBucketOnDelete adds before emptying a bucket) stops delivery, and so does a policy whose Allow
    does not cover the source bucket. A record S3 would not deliver is dropped, as S3 drops it (best effort)."""

    def deliver(self: Any, request: Any, bucket_name: str) -> None:
        source = self.buckets.get(bucket_name)
        target = self.buckets.get((source.logging or {}).get("TargetBucket", "")) if source is not None else None
        if target is None:
            return original(self, request, bucket_name)
        key = f"arn:{target.partition}:s3:::{target.name}/{source.logging.get('TargetPrefix') or ''}x"
        context = {**S3_REQUEST_CONTEXT, "aws:SourceArn": source.arn, "aws:SourceAccount": self.account_id}
        decision = "NEUTRAL" if target.policy is None else \
            evaluate(target.policy.decode(), Request(Principal(service=LOGGING_SERVICE_PRINCIPAL), "s3:PutObject", key, context))
        # Without an Allow in the policy, the older grant to the Log Delivery group in the bucket ACL still lets S3 write.
        if decision == "PERMITTED" or (decision == "NEUTRAL" and FakeBucket._log_permissions_enabled_acl(target)):
            return original(self, request, bucket_name)
        return None

    return deliver


def install(plane: DataPlane) -> None:
    from moto.s3.models import S3Backend

    S3Backend.log_incoming_request = _deliver_access_log(S3Backend.log_incoming_request)  # type: ignore[method-assign]
    FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)  # type: ignore[method-assign]
    FakeBucket.get_permission = _get_permission  # type: ignore[method-assign]
