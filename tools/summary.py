"""What a deployed Strata stack is: each layer's status and resources, the key outputs, the TLS verification.

    .venv/bin/python tools/summary.py --stack strata-local [--region us-east-1]
    .venv/bin/python tools/summary.py --stack strata-account --account   # the account layer and the settings it made

Reads everything through the CloudFormation API, so it describes the local cloud and a real account alike
(the standard AWS variables choose the target).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import urllib.parse
from collections import Counter
from typing import Any

import boto3
import botocore.exceptions
from connect import local_dataplane, local_port

LAYERS = ["Security", "Discovery", "Storage", "Compliance", "Network", "Egress", "Compute", "Database", "Verifier", "Verification"]


def resources(cf, stack_id: str) -> list[dict]:
    pages = cf.get_paginator("list_stack_resources").paginate(StackName=stack_id)
    return [r for page in pages for r in page["StackResourceSummaries"]]


def s3control(region: str | None) -> Any:
    """S3 Control puts the account ID in front of the endpoint host; against the local cloud (an IP address) the
    requests go to the endpoint itself (strata_local_cloud.testing.s3control_client)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if endpoint.startswith(("http://127.0.0.1:", "http://localhost:")):
        from strata_local_cloud.testing import s3control_client

        return s3control_client(boto3.session.Session(region_name=region), endpoint)
    return boto3.client("s3control", region_name=region)


def account(cf, stack: str, region: str | None) -> int:
    """The account layer: its status, and each account-wide control as the services report it."""
    root = cf.describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in root.get("Outputs", [])}
    print(f"stack {root['StackName']}: {root['StackStatus']} ({len(resources(cf, root['StackId']))} resources, "
          f"{'holds' if outputs.get('IsGlobalResourcesRegion') == 'true' else 'not'} the global settings)")
    iam, ec2, sh = boto3.client("iam", region_name=region), boto3.client("ec2", region_name=region), boto3.client("securityhub", region_name=region)
    try:
        p = iam.get_account_password_policy()["PasswordPolicy"]
        policy = f"at least {p['MinimumPasswordLength']} characters, last {p.get('PasswordReusePrevention', 0)} not reused"
    except iam.exceptions.NoSuchEntityException:
        policy = "none (IAM defaults)"
    control = s3control(region)
    try:
        b = control.get_public_access_block(AccountId=root["StackId"].split(":")[4])["PublicAccessBlockConfiguration"]
        block = f"{sum(bool(v) for v in b.values())} of 4 settings on"
    except control.exceptions.NoSuchPublicAccessBlockConfiguration:
        block = "none"
    ebs = "on" if ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] else "off"
    try:
        standards = ", ".join(s["StandardsArn"].split("/", 1)[1] for s in sh.get_enabled_standards()["StandardsSubscriptions"]) or "none"
    except sh.exceptions.InvalidAccessException:
        standards = "Security Hub off"
    detectors = boto3.client("guardduty", region_name=region).list_detectors()["DetectorIds"]
    trails = [t for t in boto3.client("cloudtrail", region_name=region).describe_trails()["trailList"] if t.get("IsMultiRegionTrail")]
    trail = (", ".join(f"{t['Name']} (multi-region, home {t['HomeRegion']})" for t in trails) or "none (CreateTrail=false: the organization trail?)")
    config = boto3.client("config", region_name=region)
    recorders = {r["name"]: r for r in config.describe_configuration_recorders()["ConfigurationRecorders"]}
    status = {s["name"]: s.get("recording") for s in config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]}
    recorder = ", ".join(f"{n} ({'recording' if status.get(n) else 'stopped'}"
                         f"{', global resources here' if r['recordingGroup'].get('includeGlobalResourceTypes') else ''})"
                         for n, r in recorders.items()) or "none"
    for label, value in [("CloudTrail", trail), ("AWS Config", recorder), ("password policy", policy), ("S3 public access", block),
                         ("EBS by default", f"{ebs}, key {ec2.get_ebs_default_kms_key_id()['KmsKeyId']}"),
                         ("Security Hub", standards), ("GuardDuty", f"detector {detectors[0]}" if detectors else "no detector")]:
        print(f"  {label:<17} {value}")
    return 0


def _locally(label: str, outputs: dict[str, str], plane: dict[str, Any]) -> list[str]:
    """Against the local cloud: where the row's endpoint really answers on this machine, and how to reach it."""
    if label == "application URL":
        url = urllib.parse.urlsplit(outputs["LoadBalancerUrl"])
        port = local_port(plane, url.hostname or "", url.port or (443 if url.scheme == "https" else 80))
        if port is None:
            return ["(no local listener for it)"]
        lines = [f"locally {url.scheme}://127.0.0.1:{port}/ : the local listener answers as the load balancer would (a redirect to "
                 "HTTPS where HTTPS is on, 503 while no target is healthy),",
                 "the local cloud does not run the app tier's instances, so no target ever is"]
        if url.scheme == "https":
            # the certificate names the application's domain, not the load balancer's DNS name (as on AWS)
            domain = outputs.get("CertificateDomain") or url.hostname
            lines.append(f"  curl --cacert {plane['ca']} --connect-to {domain}:443:127.0.0.1:{port} https://{domain}/")
            http = local_port(plane, url.hostname or "", 80)
            if http:
                lines.append(f"  http://127.0.0.1:{http}/ : the HTTP listener's redirect to HTTPS")
        return lines
    if label == "database":
        host, port = outputs["DbEndpointAddress"], int(outputs["DbEndpointPort"])
        if local_port(plane, host, port) is None:
            return [plane.get("unavailable", {}).get(f"{host}:{port}", "(no local database server for it)")]
        return ["a real MariaDB behind it; log in over TLS with the managed secret (the password is never printed):",
                f"  .venv/bin/python tools/connect.py --stack {outputs.get('StackName', 'STACK')} [-e 'SELECT ...']"]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--account", action="store_true", help="the stack is the account layer: print the controls it set")
    args = parser.parse_args()
    cf = boto3.client("cloudformation", region_name=args.region)
    if args.account:
        return account(cf, args.stack, args.region)
    try:
        root = cf.describe_stacks(StackName=args.stack)["Stacks"][0]
    except cf.exceptions.ClientError as error:
        print(f"stack {args.stack}: {error.response['Error']['Message']}", file=sys.stderr)
        return 1
    outputs = {o["OutputKey"]: o["OutputValue"] for o in root.get("Outputs", [])} | {"StackName": root["StackName"]}
    params = {p["ParameterKey"]: p.get("ParameterValue", "") for p in root.get("Parameters", [])}
    if params.get("CertificateArn"):
        with contextlib.suppress(botocore.exceptions.ClientError):
            outputs["CertificateDomain"] = boto3.client("acm", region_name=args.region).describe_certificate(
                CertificateArn=params["CertificateArn"])["Certificate"]["DomainName"]
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
    plane = local_dataplane()
    for label, value in rows:
        if value:
            print(f"  {label:<17} {value}")
        if plane is not None and value:
            for line in _locally(label, outputs, plane):
                print(f"  {'':<17} {line}")
    verification = nested.get("VerificationStack")
    if verification:
        checks = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName=verification["PhysicalResourceId"])["Stacks"][0].get("Outputs", [])}
        for key in ("DatabaseTls", "RequireSecureTransport", "TlsLogin", "PlaintextLoginRefused", "AlbTls", "HttpRedirect"):
            if key in checks:
                print(f"    {key:<23} {checks[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
