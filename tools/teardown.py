"""Tear down a Strata environment: dev completely, staging and prod only deliberately.

    .venv/bin/python tools/teardown.py --stack strata-dev [--region R]
    .venv/bin/python tools/teardown.py --stack strata-prod --confirm strata-prod

dev: the log buckets have DeletionPolicy Delete but CloudFormation cannot delete a bucket that holds
objects, and the access-log bucket always does. The buckets this stack's storage layer owns are
emptied (every version and delete marker), then the stack is deleted and waited for.
staging/prod: buckets, the trail's logs and the database are Retain/Snapshot and are kept; nothing is
emptied. The stack is deleted only with --confirm <stack name>, and RDS deletion protection still
refuses the delete until it is turned off on purpose (docs/runbook.md, "Tear down prod").
"""

from __future__ import annotations

import argparse
import sys
import time

import boto3


def storage_buckets(cf, root_id: str) -> list[str]:
    # A stack whose create failed (ROLLBACK_FAILED, CREATE_FAILED) lists resources that were never created:
    # they carry no PhysicalResourceId.
    nested = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cf.list_stack_resources(StackName=root_id)["StackResourceSummaries"]
              if r["ResourceType"] == "AWS::CloudFormation::Stack" and r.get("PhysicalResourceId")
              and r["ResourceStatus"] != "DELETE_COMPLETE"}
    if "StorageStack" not in nested:
        return []
    return [r["PhysicalResourceId"] for r in cf.list_stack_resources(StackName=nested["StorageStack"])["StackResourceSummaries"]
            if r["ResourceType"] == "AWS::S3::Bucket" and r.get("PhysicalResourceId") and r["ResourceStatus"] != "DELETE_COMPLETE"]


def empty(s3, bucket: str) -> int:
    removed = 0
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        return 0  # already deleted with the stack
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        items = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for i in range(0, len(items), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": items[i:i + 1000], "Quiet": True})
            removed += len(items[i:i + 1000])
    return removed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region")
    parser.add_argument("--confirm", help="the stack name again, required for staging and prod")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait for the delete")
    args = parser.parse_args()
    cf = boto3.client("cloudformation", region_name=args.region)
    s3 = boto3.client("s3", region_name=args.region)
    try:
        root = cf.describe_stacks(StackName=args.stack)["Stacks"][0]
    except cf.exceptions.ClientError as error:
        print(f"stack {args.stack}: {error.response['Error']['Message']}", file=sys.stderr)
        return 1
    env = next((p.get("ParameterValue") for p in root.get("Parameters", []) if p["ParameterKey"] == "EnvironmentType"), None)
    if env != "dev":
        if args.confirm != args.stack:
            print(f"{args.stack} is a {env} environment: its buckets and database are retained or snapshotted, and deleting it is "
                  f"deliberate. Re-run with --confirm {args.stack} (RDS deletion protection must be turned off first).", file=sys.stderr)
            return 2
    buckets = storage_buckets(cf, root["StackId"]) if env == "dev" else []
    # Access logging off first, so deleting objects elsewhere does not keep filling the access-log bucket.
    for bucket in buckets:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    for attempt in range(3):
        for bucket in buckets:
            removed = empty(s3, bucket)
            if removed:
                print(f"emptied {bucket}: {removed} object versions")
        cf.delete_stack(StackName=root["StackId"])
        status = wait(cf, root["StackId"], args.timeout)
        if status["StackStatus"] == "DELETE_COMPLETE":
            print(f"deleted {args.stack}")
            return 0
        reason = status.get("StackStatusReason", "")
        # Log delivery is asynchronous: a late access-log object can land after the bucket was emptied.
        if not (buckets and "BucketNotEmpty" in reason and attempt < 2):
            print(f"{args.stack}: {status['StackStatus']}: {reason}", file=sys.stderr)
            return 1
    return 1


def wait(cf, stack_id: str, timeout: int) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = cf.describe_stacks(StackName=stack_id)["Stacks"][0]
        if status["StackStatus"] in ("DELETE_COMPLETE", "DELETE_FAILED") or time.monotonic() > deadline:
            return status
        time.sleep(1)

if __name__ == "__main__":
    sys.exit(main())
