"""Tear down a Strata environment: dev completely, staging and prod only deliberately.

    .venv/bin/python tools/teardown.py --stack strata-dev [--region R]
    .venv/bin/python tools/teardown.py --stack strata-prod --confirm strata-prod

dev: the stack deletes everything itself (`sam delete --config-env dev` does the same): the log buckets
are emptied by their Custom::EmptyBucketOnDelete, so this is a delete and a wait.
staging/prod: the stack is deleted only with --confirm <stack name>. Deletion protection on the load
balancer and the database (switched on by Custom::DeletionProtection once the environment has deployed)
refuses any delete, so the tool first turns it off on exactly this stack's load balancers and database
instances, saying which. What the templates retain stays: the buckets, the log groups and the KMS key
(RetainExceptOnCreate), and a final database snapshot (Snapshot). See docs/runbook.md, "Tear down prod".
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3


def resources(cf: Any, stack_id: str) -> Iterator[dict[str, Any]]:
    """Every resource of the stack and its nested stacks that exists. A stack whose create failed
    (ROLLBACK_FAILED, CREATE_FAILED) lists resources that were never created: they have no PhysicalResourceId."""
    for page in cf.get_paginator("list_stack_resources").paginate(StackName=stack_id):
        for r in page["StackResourceSummaries"]:
            if not r.get("PhysicalResourceId") or r["ResourceStatus"] == "DELETE_COMPLETE":
                continue
            yield r
            if r["ResourceType"] == "AWS::CloudFormation::Stack":
                yield from resources(cf, r["PhysicalResourceId"])


def unprotect(cf: Any, elbv2: Any, rds: Any, stack_id: str) -> list[str]:
    """Turns deletion protection off on this stack's load balancers and DB instances; returns what it changed."""
    changed = []
    for r in resources(cf, stack_id):
        if r["ResourceType"] == "AWS::ElasticLoadBalancingV2::LoadBalancer":
            arn = r["PhysicalResourceId"]
            attrs = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
            if any(a["Key"] == "deletion_protection.enabled" and a["Value"] == "true" for a in attrs):
                elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
                changed.append(f"load balancer {arn}")
        elif r["ResourceType"] == "AWS::RDS::DBInstance":
            name = r["PhysicalResourceId"]
            [db] = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"]
            if db.get("DeletionProtection"):
                rds.modify_db_instance(DBInstanceIdentifier=name, DeletionProtection=False, ApplyImmediately=True)
                changed.append(f"DB instance {name}")
    return changed


def wait(cf: Any, stack_id: str, timeout: int) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = cf.describe_stacks(StackName=stack_id)["Stacks"][0]
        if status["StackStatus"] in ("DELETE_COMPLETE", "DELETE_FAILED") or time.monotonic() > deadline:
            return status
        time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region")
    parser.add_argument("--confirm", help="the stack name again, required for staging and prod")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait for the delete")
    args = parser.parse_args()
    cf = boto3.client("cloudformation", region_name=args.region)
    try:
        root = cf.describe_stacks(StackName=args.stack)["Stacks"][0]
    except cf.exceptions.ClientError as error:
        print(f"stack {args.stack}: {error.response['Error']['Message']}", file=sys.stderr)
        return 1
    env = next((p.get("ParameterValue") for p in root.get("Parameters", []) if p["ParameterKey"] == "EnvironmentType"), None)
    if env != "dev":
        if args.confirm != args.stack:
            print(f"{args.stack} is a {env} environment: its buckets and log groups are retained, its database is snapshotted, "
                  f"and deleting it is deliberate. Re-run with --confirm {args.stack}: the tool then turns deletion protection "
                  "off on its load balancer and database and deletes the stack.", file=sys.stderr)
            return 2
        for what in unprotect(cf, boto3.client("elbv2", region_name=args.region), boto3.client("rds", region_name=args.region),
                              root["StackId"]):
            print(f"deletion protection turned off: {what}")
    cf.delete_stack(StackName=root["StackId"])
    status = wait(cf, root["StackId"], args.timeout)
    if status["StackStatus"] == "DELETE_COMPLETE":
        print(f"deleted {args.stack}" + ("" if env == "dev" else " (retained: buckets, log groups, KMS key; a final DB snapshot)"))
        return 0
    print(f"{args.stack}: {status['StackStatus']}: {status.get('StackStatusReason', '')}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
