"""Lambda: a function's code comes from a bucket in the function's own region, which moto 5.2.5 does not check.

"An Amazon S3 bucket in the same AWS Region as your function"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html#cfn-lambda-function-code-s3bucket);
Lambda answers InvalidParameterValueException "Error occurred while GetObject. S3 Error Code: PermanentRedirect.
S3 Error Message: The bucket is in this region: <region>. Please use this region to retry the request".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..rules import rule
from .core import guard

if TYPE_CHECKING:
    from ..dataplane import DataPlane

CODE_REGION = rule(
    "lambda-code-bucket-region", "service", ("AWS::Lambda::Function",),
    "function code in an S3 bucket of another region than the function",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html#cfn-lambda-function-code-s3bucket")


def code_region_problem(account: str, region: str, bucket: str | None) -> str | None:
    from moto.s3.models import s3_backends

    found = s3_backends[account]["global"].buckets.get(bucket or "")
    if found is None or found.region_name == region:
        return None  # a bucket that does not exist is moto's own NoSuchBucket to answer
    return (f"Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error Message: The bucket is in this region: "
            f"{found.region_name}. Please use this region to retry the request")


def install(plane: DataPlane) -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend

    def refuse(backend: Any, code: dict[str, Any] | None) -> None:
        problem = code_region_problem(backend.account_id, backend.region_name, (code or {}).get("S3Bucket"))
        if problem:
            raise InvalidParameterValueException(problem)

    guard(LambdaBackend, "create_function", lambda backend, args: refuse(backend, args["spec"].get("Code")))
    guard(LambdaBackend, "update_function_code", lambda backend, args: refuse(backend, args.get("body")))
