"""Creates what a sample event acts on, in a fresh local cloud: `npm run invoke -- <function> <event> --local-cloud`
runs this first when events/prerequisites/<function>.yaml exists, and puts the stack's outputs into the event's
ResourceProperties (an output per property it replaces), so the sample succeeds as offered.

    .venv/bin/python tools/prerequisites.py --endpoint http://127.0.0.1:PORT events/prerequisites/<function>.yaml

Prints the outputs as one JSON object. Only ever against a local cloud (a loopback endpoint): the samples' IDs are
made up, and nothing here belongs in an account.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from pathlib import Path

import boto3
from deploy import failure_cause

from strata_local_cloud.stacks import wait_stack

STACK = "strata-invoke-prerequisites"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="the local cloud's URL")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("template", type=Path)
    args = parser.parse_args()
    if urllib.parse.urlsplit(args.endpoint).hostname not in ("127.0.0.1", "localhost"):
        parser.error(f"--endpoint {args.endpoint}: prerequisites are made only in a local cloud (a loopback endpoint)")
    cf = boto3.client("cloudformation", endpoint_url=args.endpoint, region_name=args.region, aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    stack_id = cf.create_stack(StackName=STACK, TemplateBody=args.template.read_text())["StackId"]
    stack = wait_stack(cf, stack_id)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        for line in failure_cause(cf, stack_id) or [stack.get("StackStatusReason", stack["StackStatus"])]:
            print(line, file=sys.stderr)
        return 1
    print(json.dumps({o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
