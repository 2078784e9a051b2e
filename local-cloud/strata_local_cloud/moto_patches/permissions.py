"""Permissions AWS services check on your behalf when a resource is created, which moto 5.2.5 does not.

Every check evaluates the policies stored in the local cloud (identity, managed, trust, key and bucket
policies) with iam_eval.py, and refuses with the error the service answers. What is not emulated: IAM's
eventual consistency (a new role is usable at once), permission boundaries, SCPs, and grants on keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.core.exceptions import JsonRESTError

from ..iam_eval import Principal, Request, allowed, evaluate
from ..rules import rule
from .core import guard

if TYPE_CHECKING:
    from ..dataplane import DataPlane

LAMBDA_TRUST = rule(
    "lambda-role-trust", "permissions", ("AWS::Lambda::Function",),
    "a function whose execution role's trust policy does not let lambda.amazonaws.com assume it",
    "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (InvalidParameterValueException: \"The role "
    "defined for the function cannot be assumed by Lambda.\")")
LAMBDA_VPC = rule(
    "lambda-vpc-permissions", "permissions", ("AWS::Lambda::Function",),
    "a VPC function whose role does not allow ec2:CreateNetworkInterface, DescribeNetworkInterfaces and DeleteNetworkInterface",
    "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions")
LOGS_KEY = rule(
    "logs-kms-key-policy", "permissions", ("AWS::Logs::LogGroup",),
    "a log group encrypted with a key whose key policy does not allow logs.<region>.amazonaws.com for that log group",
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html")
TRAIL_BUCKET = rule(
    "cloudtrail-bucket-and-key-policy", "permissions", ("AWS::CloudTrail::Trail",),
    "a trail whose bucket policy does not let cloudtrail.amazonaws.com read the ACL and write AWSLogs/<account>/ with "
    "bucket-owner-full-control, or whose KMS key policy does not let it generate data keys for the trail",
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html, "
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html")
CONFIG_DELIVERY = rule(
    "config-delivery-permissions", "permissions", ("AWS::Config::DeliveryChannel",),
    "a delivery channel whose bucket the recorder's role (or the Config service, by bucket policy) cannot write to",
    "https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html (InsufficientDeliveryPolicyException)")
CONFIG_RECORDER = rule(
    "config-needs-recorder", "permissions", ("AWS::Config::ConfigRule", "AWS::Config::DeliveryChannel"),
    "a Config rule or delivery channel in a region without a configuration recorder",
    "https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigRule.html, API_PutDeliveryChannel.html "
    "(NoAvailableConfigurationRecorderException)")

ELB_ACCESS_LOGS = rule(
    "elbv2-access-logs-bucket-policy", "permissions", ("AWS::ElasticLoadBalancingV2::LoadBalancer",),
    "turning ALB access logs on for a bucket whose policy does not let Elastic Load Balancing write <prefix>/AWSLogs/<account>/",
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html (bucket permissions; "
    "\"Access Denied for bucket: <bucket>. Please check S3bucket permission\")")

# Every AWS service calls S3 and KMS over TLS, so aws:SecureTransport is true in the requests they make.
_TLS = {"aws:SecureTransport": "true"}


def _iam(account: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account]["global"]


def role_by_arn(account: str, arn: str) -> Any:
    """The IAM role with that ARN, or None."""
    from moto.iam.exceptions import NotFoundException

    try:
        return _iam(account).get_role_by_arn(arn)
    except NotFoundException:
        return None


def identity_policies(role: Any) -> list[str]:
    """The role's inline policies and the default version of each managed policy attached to it."""
    docs = list(role.policies.values())
    for policy in role.managed_policies.values():
        docs.extend(v.document for v in policy.versions if v.is_default)
    return docs


def _lambda(backend: Any, args: dict[str, Any]) -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException

    spec = args["spec"]
    role = role_by_arn(backend.account_id, spec.get("Role", ""))
    if role is None:
        return  # moto's own check answers for a role that does not exist
    trust = Request(Principal(service="lambda.amazonaws.com"), "sts:AssumeRole", context={"aws:SourceAccount": backend.account_id})
    if evaluate(role.assume_role_policy_document, trust) != "PERMITTED":
        raise InvalidParameterValueException("The role defined for the function cannot be assumed by Lambda.")
    if (spec.get("VpcConfig") or {}).get("SubnetIds"):
        docs = identity_policies(role)
        for action in ("CreateNetworkInterface", "DescribeNetworkInterfaces", "DeleteNetworkInterface"):
            if not allowed(docs, Request(Principal(arn=role.arn), f"ec2:{action}", "*"), resource_policy=False):
                raise InvalidParameterValueException(f"The provided execution role does not have permissions to call {action} on EC2")


def _key_allows(account: str, region: str, key_id: str, service: str, actions: tuple[str, ...], context: dict[str, Any]) -> bool:
    from moto.kms.models import kms_backends

    try:
        key = kms_backends[account][region].describe_key(key_id)
    except Exception:  # noqa: BLE001 - NotFoundException: a key that does not exist allows nothing
        return False
    if key.key_state != "Enabled":
        return False
    return all(evaluate(key.policy, Request(Principal(service=service), a, key.arn, context)) == "PERMITTED" for a in actions)


def _log_group(backend: Any, args: dict[str, Any]) -> None:
    key = (args.get("kwargs") or {}).get("kmsKeyId")
    if not key:
        return
    arn = f"arn:aws:logs:{backend.region_name}:{backend.account_id}:log-group:{args['log_group_name']}"
    context = {"kms:EncryptionContext:aws:logs:arn": arn, "aws:SourceAccount": backend.account_id}
    if not _key_allows(backend.account_id, backend.region_name, key, f"logs.{backend.region_name}.amazonaws.com",
                       ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"), context):
        raise JsonRESTError("AccessDeniedException", f"The specified KMS key does not exist or is not allowed to be used with Arn '{arn}'")


def _bucket(account: str, name: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account]["global"].buckets.get(name)


def _bucket_policy(account: str, name: str) -> str | None:
    found = _bucket(account, name)
    return found.policy.decode() if found is not None and found.policy else None


def _trail(backend: Any, args: dict[str, Any]) -> None:
    from moto.cloudtrail.exceptions import JsonRESTError as TrailError

    bucket, prefix, name = args["bucket_name"], args.get("s3_key_prefix"), args["name"]
    account, region = backend.account_id, backend.region_name
    trail_arn = f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"
    policy = _bucket_policy(account, bucket)
    service = Principal(service="cloudtrail.amazonaws.com")
    context = {**_TLS, "aws:SourceArn": trail_arn, "aws:SourceAccount": account}
    logs = f"arn:aws:s3:::{bucket}/{prefix + '/' if prefix else ''}AWSLogs/{account}/x"
    ok = policy is not None and evaluate(policy, Request(service, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", context)) == "PERMITTED" \
        and evaluate(policy, Request(service, "s3:PutObject", logs, {**context, "s3:x-amz-acl": "bucket-owner-full-control"})) == "PERMITTED"
    if not ok:
        raise TrailError("InsufficientS3BucketPolicyException", f"Incorrect S3 bucket policy is detected for bucket: {bucket}")
    key = args.get("kms_key_id")
    key_context = {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/*", "aws:SourceArn": trail_arn}
    if key and not _key_allows(account, region, key, "cloudtrail.amazonaws.com", ("kms:GenerateDataKey",), key_context):
        raise TrailError("InsufficientEncryptionPolicyException", f"Insufficient permissions to access S3 bucket {bucket} or KMS key {key}.")


def _delivery_channel(backend: Any, args: dict[str, Any]) -> None:
    from moto.config.exceptions import NoAvailableConfigurationRecorderException

    if not backend.recorders:
        raise NoAvailableConfigurationRecorderException()
    channel = args["delivery_channel"]
    bucket, prefix = channel.get("s3BucketName"), channel.get("s3KeyPrefix")
    if not bucket or _bucket(backend.account_id, bucket) is None:
        return  # moto's own check answers NoSuchBucketException
    recorder = next(iter(backend.recorders.values()))
    account = backend.account_id
    key = f"arn:aws:s3:::{bucket}/{prefix + '/' if prefix else ''}AWSLogs/{account}/Config/x"
    context = {**_TLS, "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": account}
    role = role_by_arn(account, recorder.role_arn or "")
    policy = _bucket_policy(account, bucket)
    # Same account: the write is allowed when the role's identity policies or the bucket policy allow it, and
    # neither denies it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
    who = Principal(arn=recorder.role_arn, account=account)
    identity = [evaluate(d, Request(who, "s3:PutObject", key, context), resource_policy=False) for d in (identity_policies(role) if role else [])]
    resource = [evaluate(policy, Request(who, "s3:PutObject", key, context)),
                evaluate(policy, Request(Principal(service="config.amazonaws.com"), "s3:PutObject", key, context))] if policy else []
    decisions = identity + resource
    if "DENIED" in decisions or "PERMITTED" not in decisions:
        raise JsonRESTError("InsufficientDeliveryPolicyException",
                            f"Insufficient delivery policy to s3 bucket: {bucket}, unable to write to bucket, provided s3 key prefix is "
                            f"'{prefix or 'null'}'.")


def _config_rule(backend: Any, args: dict[str, Any]) -> None:
    from moto.config.exceptions import JsonRESTError as ConfigError

    if not backend.recorders:
        # Wording modelled on the delivery channel's; the error code is PutConfigRule's.
        raise ConfigError("NoAvailableConfigurationRecorderException", "Configuration recorder is not available to put config rule.")


# The Elastic Load Balancing account per Region for Regions opened before August 2022, which those Regions' bucket
# policies may name instead of the log-delivery service principal (the page above, "Regions available before August 2022").
_ELB_ACCOUNTS = {"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980", "us-west-2": "797873946194",
                 "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-central-1": "054676820928"}


def _access_logs(backend: Any, args: dict[str, Any]) -> None:
    from moto.elbv2.exceptions import ELBClientError

    balancer = backend.load_balancers.get(args["arn"])
    attrs = {**(balancer.attrs if balancer is not None else {}), **(args.get("attrs") or {})}
    if str(attrs.get("access_logs.s3.enabled", "")).lower() != "true":
        return
    bucket, prefix = attrs.get("access_logs.s3.bucket", ""), attrs.get("access_logs.s3.prefix", "")
    account, region = backend.account_id, backend.region_name
    key = f"arn:aws:s3:::{bucket}/{prefix + '/' if prefix else ''}AWSLogs/{account}/ELBAccessLogTestFile"
    policy = _bucket_policy(account, bucket)
    writers = [Principal(service="logdelivery.elasticloadbalancing.amazonaws.com")]
    if region in _ELB_ACCOUNTS:
        writers.append(Principal(arn=f"arn:aws:iam::{_ELB_ACCOUNTS[region]}:root", account=_ELB_ACCOUNTS[region]))
    if policy is None or not any(evaluate(policy, Request(w, "s3:PutObject", key, dict(_TLS))) == "PERMITTED" for w in writers):
        raise ELBClientError("InvalidConfigurationRequest", f"Access Denied for bucket: {bucket}. Please check S3bucket permission")


def install(plane: DataPlane) -> None:
    from moto.awslambda.models import LambdaBackend
    from moto.cloudtrail.models import CloudTrailBackend
    from moto.config.models import ConfigBackend
    from moto.elbv2.models import ELBv2Backend
    from moto.logs.models import LogsBackend

    guard(LambdaBackend, "create_function", _lambda)
    guard(LogsBackend, "create_log_group", _log_group)
    guard(CloudTrailBackend, "create_trail", _trail)
    guard(ConfigBackend, "put_delivery_channel", _delivery_channel)
    guard(ConfigBackend, "put_config_rule", _config_rule)
    guard(ELBv2Backend, "modify_load_balancer_attributes", _access_logs)

