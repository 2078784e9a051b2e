"""pytest plugin (`-p strata_local_cloud.testing`): the local cloud a test session starts and stops, clients
for it, and a deploy helper that waits the way `sam deploy` does but polls fast.

Fixtures: `moto_server` (the URL, one local cloud per session), `aws_env` (an environment for a subprocess
that must reach the local cloud and never AWS), `aws` (boto3 clients), `deploy` (create or update a stack
through a change set).
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import urllib.parse
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from .launch import LocalCloud
from .stacks import failure_reasons, wait_stack

__all__ = ["failure_reasons", "function_code", "until", "wait_stack"]


def pytest_configure(config: pytest.Config) -> None:
    """The tests' botocore sessions share one loader (models.py): each parses the same service models otherwise."""
    from .models import share_models

    share_models()


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    """The cyclic collector is off while the tests are collected (each worker imports and parametrizes them all), then
    what collection made, which lives as long as the run (modules, test items, parsed templates and models), goes out
    of its sight: its full collections walk only what the tests make. They took a fifth of the workers' CPU (2.2 s each
    of 9.7), most of it walking what lives until the end."""
    gc.disable()
    try:
        return (yield)
    finally:
        gc.freeze()
        gc.enable()


def until(check: Callable[[], bool], timeout: float = 15, every: float = 0.1) -> bool:
    """Asks `check` every `every` seconds until it holds or `timeout` passes; returns its last answer."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


def function_code(s3: Any, bucket: str, source: str, region: str = "us-east-1") -> dict[str, str]:
    """Uploads a one-file Node.js function (index.js) as `sam package` would; returns its Code property."""
    args: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(**args)
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as z:
        z.writestr("index.js", source)
    key = f"fn-{uuid.uuid4().hex[:10]}.zip"
    s3.put_object(Bucket=bucket, Key=key, Body=blob.getvalue())
    return {"S3Bucket": bucket, "S3Key": key}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The local cloud on a free loopback port for the whole session; its log in .strata/ of the working directory."""
    log_dir = Path(os.environ.get("STRATA_LOCAL_CLOUD_TEST_LOGS", ".strata"))
    log_dir.mkdir(exist_ok=True)
    # one local cloud per pytest-xdist worker, each with its own log
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    cloud = LocalCloud(log=log_dir / (f"local-cloud-test-{worker}.log" if worker else "local-cloud-test.log"))
    try:
        yield cloud.url
    finally:
        cloud.stop()


@pytest.fixture()
def aws_env(moto_server: str) -> dict[str, str]:
    """Environment for a subprocess that must talk to the local cloud and never to AWS."""
    return LocalCloud.env_for(moto_server)


@pytest.fixture(scope="session")
def aws(moto_server: str) -> Callable[[str], Any]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    # Any: boto3-stubs types client() per service-name literal; this fixture hands out a client for any service name.
    make: Any = session.client
    return lambda service: make(service, endpoint_url=moto_server)


@pytest.fixture()
def deploy(aws: Callable[[str], Any]) -> Callable[..., dict[str, Any]]:
    """deploy(name, template, params) creates or updates a stack through a change set; returns the stack."""
    cf = aws("cloudformation")

    def run(name: str, template: dict[str, Any] | str, params: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
        body = template if isinstance(template, str) else json.dumps(template)
        try:
            exists = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] != "REVIEW_IN_PROGRESS"
        except cf.exceptions.ClientError:
            exists = False
        cs = cf.create_change_set(StackName=name, ChangeSetName=f"c{uuid.uuid4().hex[:8]}", TemplateBody=body,
                                  ChangeSetType="UPDATE" if exists else "CREATE", Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
                                  Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (params or {}).items()], **extra)
        described = cf.describe_change_set(ChangeSetName=cs["Id"])
        if described["Status"] == "FAILED":
            raise AssertionError(described["StatusReason"])
        cf.execute_change_set(ChangeSetName=cs["Id"])
        return wait_stack(cf, cs["StackId"])

    return run


def s3control_client(session: Any, endpoint_url: str) -> Any:
    """An S3 Control client for the local cloud. S3 Control's endpoint rules put the account ID in front of the host
    (<account>.<endpoint host>), which an IP address cannot carry; each request is sent to the endpoint itself
    (moto's server routes S3 Control by its path, /v20180820/)."""
    client = session.client("s3control", endpoint_url=endpoint_url)
    host = urllib.parse.urlsplit(endpoint_url).netloc

    def to_endpoint(request: Any, **_: Any) -> None:
        request.url = urllib.parse.urlunsplit(urllib.parse.urlsplit(request.url)._replace(netloc=host))

    client.meta.events.register("before-send.s3-control", to_endpoint)
    return client
