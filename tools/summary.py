"""What a deployed Strata stack is: each layer's status and resources, the key outputs, the TLS verification.

    .venv/bin/python tools/summary.py --stack strata-local [--region us-east-1]
    .venv/bin/python tools/summary.py --stack strata-local --why     # why the last deploy failed

Reads everything through the CloudFormation API, so it describes the local cloud and a real account alike
(the standard AWS variables choose the target).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import boto3

LAYERS = ["Security", "Discovery", "Storage", "Compliance", "Network", "Egress", "Compute", "Database", "Verifier", "Verification"]


def resources(cf, stack_id: str) -> list[dict]:
    pages = cf.get_paginator("list_stack_resources").paginate(StackName=stack_id)
    return [r for page in pages for r in page["StackResourceSummaries"]]


def why(cf, stack: str) -> int:
    """What failed: pre-deployment validation's findings for the latest failed change set (SAM prints only
    "use the DescribeEvents API"), else the first FAILED event of the stack and its nested stacks."""
    try:
        sets = cf.list_change_sets(StackName=stack)["Summaries"]
    except cf.exceptions.ClientError:
        sets = []
    failed = sorted((c for c in sets if c.get("Status") == "FAILED"), key=lambda c: c["CreationTime"])
    if failed:
        events = cf.describe_events(ChangeSetName=failed[-1]["ChangeSetId"]).get("OperationEvents", [])
        findings = [e for e in events if e.get("EventType") == "VALIDATION_ERROR"]
        if findings:
            print(f"pre-deployment validation refused the change set {failed[-1]['ChangeSetName']}:", file=sys.stderr)
            for e in findings:
                print(f"  {e.get('ValidationPath', e.get('LogicalResourceId'))}: {e.get('ValidationStatusReason')}", file=sys.stderr)
            return 0
    try:
        root = cf.describe_stacks(StackName=stack)["Stacks"][0]
    except cf.exceptions.ClientError:
        return 0
    stacks = [root["StackId"]] + [r["PhysicalResourceId"] for r in resources(cf, root["StackId"])
                                  if r["ResourceType"] == "AWS::CloudFormation::Stack" and r.get("PhysicalResourceId")]
    firsts = []
    for sid in stacks:
        events = cf.describe_stack_events(StackName=sid)["StackEvents"]
        bad = [e for e in events if e["ResourceStatus"].endswith("_FAILED") and e.get("ResourceType") != "AWS::CloudFormation::Stack"
               and "cancelled" not in e.get("ResourceStatusReason", "")]
        firsts += bad
    if firsts:
        first = min(firsts, key=lambda e: e["Timestamp"])
        print(f"first failure: {first['LogicalResourceId']} ({first['ResourceType']}) {first['ResourceStatus']}: "
              f"{first.get('ResourceStatusReason', '')}", file=sys.stderr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--why", action="store_true", help="print why the last deploy failed, and nothing else")
    args = parser.parse_args()
    cf = boto3.client("cloudformation", region_name=args.region)
    if args.why:
        return why(cf, args.stack)
    try:
        root = cf.describe_stacks(StackName=args.stack)["Stacks"][0]
    except cf.exceptions.ClientError as error:
        print(f"stack {args.stack}: {error.response['Error']['Message']}", file=sys.stderr)
        return 1
    outputs = {o["OutputKey"]: o["OutputValue"] for o in root.get("Outputs", [])}
    params = {p["ParameterKey"]: p.get("ParameterValue", "") for p in root.get("Parameters", [])}
    print(f"stack {root['StackName']}: {root['StackStatus']} ({params.get('EnvironmentType', '?')}, suffix {params.get('EnvironmentSuffix', '?')})")
    print()
    print(f"  {'layer':<13} {'status':<16} {'resources':>9}  types")
    total = 0
    nested = {r["LogicalResourceId"]: r for r in resources(cf, root["StackId"]) if r["ResourceType"] == "AWS::CloudFormation::Stack"}
    for name in sorted(nested, key=lambda n: LAYERS.index(n.removesuffix("Stack")) if n.removesuffix("Stack") in LAYERS else 99):
        child_id = nested[name]["PhysicalResourceId"]
        child = cf.describe_stacks(StackName=child_id)["Stacks"][0]
        items = resources(cf, child_id)
        total += len(items)
        kinds = Counter(r["ResourceType"].split("::", 1)[1] for r in items)
        top = ", ".join(f"{n} {k}" for k, n in kinds.most_common(4))
        print(f"  {name.removesuffix('Stack').lower():<13} {child['StackStatus']:<16} {len(items):>9}  {top}")
    print(f"  {'total':<13} {'':<16} {total:>9}")
    print()
    rows = [
        ("application URL", outputs.get("LoadBalancerUrl")),
        ("database", f"{outputs.get('DbEndpointAddress')}:{outputs.get('DbEndpointPort')} (MySQL {outputs.get('DbEngineVersion')})"
         if outputs.get("DbEndpointAddress") else None),
        ("zones chosen", outputs.get("AvailabilityZones")),
        ("VPC", outputs.get("VpcId")),
        ("KMS key", outputs.get("KmsKeyArn")),
        ("alarm topic", outputs.get("AlarmTopicArn")),
        ("TLS verification", outputs.get("TlsVerification")),
    ]
    for label, value in rows:
        if value:
            print(f"  {label:<17} {value}")
    verification = nested.get("VerificationStack")
    if verification:
        checks = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName=verification["PhysicalResourceId"])["Stacks"][0].get("Outputs", [])}
        for key in ("DatabaseTls", "RequireSecureTransport", "TlsLogin", "PlaintextLoginRefused", "AlbTls", "HttpRedirect"):
            if key in checks:
                print(f"    {key:<23} {checks[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
