"""The engine's requests handed to the local cloud's WSGI application in-process (cfn/inprocess.py) get the answers the
same application gives over HTTP: the same parsing of paths, queries, headers and bodies, both ways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from strata_local_cloud.cfn import inprocess
from strata_local_cloud.launch import LocalCloud

KEY = "AWSLogs/123456789012/a key with spaces+plus&amp%2Fslash/ü.log.gz"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    started = LocalCloud()
    try:
        yield started
    finally:
        started.stop()


def clients(url: str, in_process: bool) -> Any:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1")

    def make(service: str) -> Any:
        client = session.client(service, endpoint_url=url)
        if in_process:
            inprocess.attach(client, url)
        return client

    return make


@pytest.fixture(scope="module")
def in_process(cloud: LocalCloud) -> Iterator[Any]:
    """A WSGI application of moto's in this process (the local cloud's own is in its process), reached in-process at a URL nothing listens on."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    inprocess.serve_in_process("http://127.0.0.1:9", DomainDispatcherApplication(create_backend_app))
    try:
        yield clients("http://127.0.0.1:9", True)
    finally:
        inprocess._target = None


def exchange(c: Any, bucket: str) -> dict[str, Any]:
    """S3 (REST, XML, streaming bodies, awkward keys) and EC2 (query protocol, lists): what a provider sends and reads."""
    s3 = c("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"\x00\x01 binary \xff" * 1000, ContentType="application/gzip")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="AWSLogs/123456789012/")["Contents"]
    got = s3.get_object(Bucket=bucket, Key=KEY)
    ec2 = c("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "a&b=c"}]}])["Vpc"]
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["a&b=c"]}])["Vpcs"]
    with pytest.raises(ec2.exceptions.ClientError) as refused:
        ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.98.0.0/24")
    return {"keys": [o["Key"] for o in listed], "body": got["Body"].read(), "type": got["ContentType"], "length": got["ContentLength"],
            "vpcs": [v["VpcId"] for v in found] == [vpc["VpcId"]], "error": refused.value.response["Error"]["Code"]}


def test_requests_in_process_are_answered_as_over_http(cloud: LocalCloud, in_process: Any) -> None:
    over_http = exchange(clients(cloud.url, False), "http-bucket")
    direct = exchange(in_process, "direct-bucket")
    assert direct == over_http
    assert direct["keys"] == [KEY] and direct["length"] == len(direct["body"]) == 11000 and direct["vpcs"]
    assert direct["error"] == "InvalidSubnet.Range"


def test_only_a_client_of_the_local_clouds_own_url_is_sent_in_process(in_process: Any) -> None:
    elsewhere = boto3.client("sts", endpoint_url="http://127.0.0.1:1", region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t")
    inprocess.attach(elsewhere, "http://127.0.0.1:1")
    with pytest.raises(Exception, match="Could not connect"):  # over HTTP, to a closed port: not answered in-process
        elsewhere.get_caller_identity()
    assert in_process("sts").get_caller_identity()["Account"] == "123456789012"
