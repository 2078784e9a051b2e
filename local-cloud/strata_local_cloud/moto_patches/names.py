"""Naming rules the services enforce that moto 5.2.5 does not (S3, IAM, CloudWatch Logs, Elastic Load Balancing).

Each check runs before moto's own handler (core.guard) and raises the service's error, so the refusal is the
same for a direct API call and for a CloudFormation resource (whose status reason then carries it).
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

from ..rules import rule
from .core import guard

if TYPE_CHECKING:
    from ..dataplane import DataPlane

BUCKET_NAME = rule(
    "s3-bucket-name", "service", ("AWS::S3::Bucket",),
    "bucket names that break S3's naming rules: not 3-63 characters of a-z 0-9 . -, not starting and ending with a "
    "letter or digit, adjacent periods, formatted as an IP address, or a reserved prefix or suffix",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html")
IAM_ROLE_NAME = rule(
    "iam-role-name-and-path", "service", ("AWS::IAM::Role", "AWS::IAM::InstanceProfile"),
    "role names over 64 characters, instance-profile names over 128, names outside [\\w+=,.@-], paths that do not start and end with /",
    "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (RoleName, Path)")
LOG_GROUP_NAME = rule(
    "logs-log-group-name", "service", ("AWS::Logs::LogGroup",),
    "log group names over 512 characters or outside [.-_/#A-Za-z0-9]",
    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html (logGroupName)")
ELB_NAME = rule(
    "elbv2-load-balancer-name", "service", ("AWS::ElasticLoadBalancingV2::LoadBalancer",),
    "load balancer names over 32 characters, with characters other than letters, digits and hyphens, starting or "
    "ending with a hyphen, or starting with internal-",
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html (Name)")

# "Bucket names must not start with the prefix xn--, sthree- or amzn-s3-demo-"; "must not end with the suffix
# -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3" (the page above).
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def bucket_name_problem(name: str) -> str | None:
    if not _BUCKET.match(name):
        return "must be 3-63 lowercase letters, digits, periods and hyphens, beginning and ending with a letter or digit"
    if ".." in name:
        return "must not contain two adjacent periods"
    try:
        ipaddress.IPv4Address(name)
        return "must not be formatted as an IP address"
    except ValueError:
        pass
    if name.startswith(_BUCKET_PREFIXES) or name.endswith(_BUCKET_SUFFIXES):
        return "must not use a prefix or suffix S3 reserves"
    return None


def _bucket(backend: Any, args: dict[str, Any]) -> None:
    from moto.s3.exceptions import InvalidBucketName

    if bucket_name_problem(args["bucket_name"]):
        raise InvalidBucketName()  # "The specified bucket is not valid." (S3's InvalidBucketName)


def _constraint(value: str, field: str, constraint: str) -> str:
    """The AWS JSON/query APIs' validation message for a member that fails its model constraint."""
    return f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"


_IAM_NAME = re.compile(r"^[\w+=,.@-]+$")
_IAM_PATH = re.compile(r"^(/|/[\x21-\x7e]+/)$")


def _iam_name(field: str, key: str, limit: int) -> Any:
    """RoleName: 1-64 characters; InstanceProfileName: 1-128 (API_CreateRole, API_CreateInstanceProfile)."""

    def check(backend: Any, args: dict[str, Any]) -> None:
        from moto.iam.exceptions import ValidationError

        name, path = args[key], args.get("path") or "/"
        if len(name) > limit:
            raise ValidationError(_constraint(name, field, f"Member must have length less than or equal to {limit}"))
        if not _IAM_NAME.match(name):
            raise ValidationError(_constraint(name, field, "Member must satisfy regular expression pattern: [\\w+=,.@-]+"))
        if len(path) > 512 or not _IAM_PATH.match(path):
            raise ValidationError(_constraint(path, "path", "Member must satisfy regular expression pattern: "
                                                            "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"))
    return check


_LOG_GROUP = re.compile(r"^[.\-_/#A-Za-z0-9]+$")


def _log_group(backend: Any, args: dict[str, Any]) -> None:
    from moto.logs.exceptions import InvalidParameterException

    name = args["log_group_name"]
    if not _LOG_GROUP.match(name):
        raise InvalidParameterException(constraint="Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
                                        parameter="logGroupName", value=name)


_ELB = re.compile(r"^[A-Za-z0-9-]+$")


def _load_balancer(backend: Any, args: dict[str, Any]) -> None:
    from moto.elbv2.exceptions import ValidationError

    name = args["name"]
    if len(name) > 32:
        raise ValidationError(f"Load balancer name '{name}' cannot be longer than '32' characters")
    if not _ELB.match(name):
        raise ValidationError(f"Load balancer name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)")
    if name.startswith("-") or name.endswith("-"):
        raise ValidationError(f"Load balancer name '{name}' cannot begin or end with a hyphen")
    if name.startswith("internal-"):
        raise ValidationError(f"Load balancer name '{name}' cannot begin with 'internal-'")


def install(plane: DataPlane) -> None:
    from moto.elbv2.models import ELBv2Backend
    from moto.iam.models import IAMBackend
    from moto.logs.models import LogsBackend
    from moto.s3.models import S3Backend

    guard(S3Backend, "create_bucket", _bucket)
    guard(IAMBackend, "create_role", _iam_name("roleName", "role_name", 64))
    guard(IAMBackend, "create_instance_profile", _iam_name("instanceProfileName", "name", 128))
    guard(LogsBackend, "create_log_group", _log_group)
    guard(ELBv2Backend, "create_load_balancer", _load_balancer)
