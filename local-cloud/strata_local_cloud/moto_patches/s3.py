"""S3: bucket policies evaluated as S3 evaluates them, moto 5.2.5's logging-permission check fixed, and server
access logs delivered only where the destination bucket's policy lets the logging service write.

Each patch names the moto function it replaces and why; remove it when the pinned moto has the fix.
"""

from __future__ import annotations

import contextvars
import json
from typing import TYPE_CHECKING, Any

from moto.s3.models import FakeBucket
from moto.s3.utils import LOGGING_SERVICE_PRINCIPAL

from ..iam_eval import Principal, Request, evaluate
from ..rules import rule
from .organizations import organization_id

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


CROSS_ACCOUNT = rule(
    "s3-cross-account-bucket-policy", "permissions", ("AWS::S3::BucketPolicy",),
    "an object request from another account that the bucket policy does not allow (an organization-only policy, "
    "aws:PrincipalOrgID, refuses every account outside the organization)",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-object-operation.html (a requester from "
    "another account needs the bucket owner's permission); aws:PrincipalOrgID: "
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid")

# The account of the object request being answered (moto's S3Response knows it, the bucket's permission check does not).
_CALLER: contextvars.ContextVar[str | None] = contextvars.ContextVar("s3_caller", default=None)


def _get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    from moto.iam.access_control import PermissionResult

    caller = _CALLER.get()
    if caller is not None and caller != self.account_id:
        # Another account's request: only the bucket owner's Allow lets it in (ACLs are off: BucketOwnerEnforced).
        context: dict[str, str | list[str]] = {**S3_REQUEST_CONTEXT, "aws:PrincipalAccount": caller}
        organization = organization_id(caller)
        if organization:
            context["aws:PrincipalOrgID"] = organization
        if self.policy is None:
            return PermissionResult.DENIED
        decision = evaluate(self.policy.decode(), Request(Principal(arn=f"arn:aws:iam::{caller}:root", account=caller), action, resource, context))
        return PermissionResult.PERMITTED if decision == "PERMITTED" else PermissionResult.DENIED
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return PermissionResult[bucket_permission(self.policy.decode(), action, resource, S3_REQUEST_CONTEXT)]


# S3's answer to a refused object request (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList,
# AccessDenied); moto answers a policy's refusal with an empty 403, which the SDKs can only call "Forbidden".
_ACCESS_DENIED = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>'
                  "<RequestId>local</RequestId><HostId>local</HostId></Error>")


def _as_caller(original: Any) -> Any:
    def key_response(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        token = _CALLER.set(self.current_account)
        try:
            answer = original(self, request, *args, **kwargs)
        finally:
            _CALLER.reset(token)
        if isinstance(answer, tuple) and answer[0] == 403 and not answer[2] and getattr(request, "method", "GET") != "HEAD":
            return 403, {**answer[1], "Content-Type": "application/xml"}, _ACCESS_DENIED
        return answer

    return key_response


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
    from moto.s3.responses import S3Response

    S3Response._key_response = _as_caller(S3Response._key_response)  # type: ignore[method-assign]

    S3Backend.log_incoming_request = _deliver_access_log(S3Backend.log_incoming_request)  # type: ignore[method-assign]
    FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)  # type: ignore[method-assign]
    FakeBucket.get_permission = _get_permission  # type: ignore[method-assign]
