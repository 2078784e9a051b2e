"""Change-set guard: what a deploy would change, per layer, and a refusal when data would be lost.

    .venv/bin/python tools/plan.py --config-env prod [--region eu-west-1] [--allow-replace DatabaseStack/DbInstance ...]
    npm run plan -- --config-env prod

Packages the built template as `sam deploy` would, creates a change set with nested change sets against
the target (the local cloud or a real account: the standard AWS variables decide), prints every change per
layer (Add, Modify, Replace, Remove) and deletes the change set again. Exits 2 when a stateful resource
(database, bucket, KMS key, log group) would be replaced or removed, unless --allow-replace names exactly
that resource as <layer stack>/<logical id> (root resources: root/<id>); and, whatever --allow-replace says,
when a resource with a fixed name would be replaced without a new name (the replacement cannot be created).

The default build (.aws-sam/build) is checked against the templates first: when a template changed since
the last `sam build`, the build is stale and the plan would describe something else. It is rebuilt
(`npx turbo run build` and `sam build`), or, with --no-build, the plan is refused naming the templates.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import boto3

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / ".aws-sam" / "build"
STATEFUL = {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup",
            "AWS::DynamoDB::Table", "AWS::EFS::FileSystem"}


def deploy_settings(config_env: str) -> dict[str, Any]:
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    if config_env not in config or "deploy" not in config[config_env]:
        raise SystemExit(f"--config-env {config_env}: samconfig.toml has no [{config_env}.deploy.parameters]; "
                         f"choose one of {sorted(k for k in config if k != 'version')}")
    return config[config_env]["deploy"]["parameters"]


def pairs(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(text or ""))


def load(path: Path) -> dict[str, Any]:
    # the SAM CLI's reading of a template (its constructors), on libyaml: a plan reads every template twice
    from strata_local_cloud.cfn.template import yaml_parse

    return yaml_parse(path.read_text())


# What `sam build` rewrites in a template: artifact paths and its own metadata. Everything else is copied.
_BUILD_REWRITES = {"CodeUri", "ContentUri", "TemplateURL", "Location", "ImageUri"}


def _normalised(template: dict[str, Any]) -> dict[str, Any]:
    # Plain dicts: the YAML loader's OrderedDicts compare key order, and sam build reorders keys.
    template = json.loads(json.dumps(template, default=str))
    resources = {}
    for logical_id, res in (template.get("Resources") or {}).items():
        res = dict(res)
        res["Properties"] = {k: v for k, v in (res.get("Properties") or {}).items() if k not in _BUILD_REWRITES}
        res["Metadata"] = {k: v for k, v in (res.get("Metadata") or {}).items() if k not in ("SamResourceId", "BuildMethod", "BuildProperties")}
        resources[logical_id] = res
    return {**template, "Resources": resources}


def nested_template_urls(template: dict[str, Any]) -> dict[str, str]:
    """Logical ID -> TemplateURL of each nested stack whose template is a local file (a source or a build)."""
    return {logical_id: url for logical_id, res in (template.get("Resources") or {}).items()
            if res.get("Type") == "AWS::CloudFormation::Stack"
            for url in [(res.get("Properties") or {}).get("TemplateURL")] if isinstance(url, str)}


def stale_templates(build: Path = BUILD, root: Path = REPO / "template.yaml") -> list[str]:
    """Source templates whose content differs from their copy in the build (or that the build lacks)."""
    if not (build / "template.yaml").exists():
        return [root.name]
    stale: list[str] = []
    source_root, built_root = load(root), load(build / "template.yaml")
    if _normalised(source_root) != _normalised(built_root):
        stale.append(root.name)
    for logical_id, url in nested_template_urls(source_root).items():
        built = build / logical_id / "template.yaml"
        if not built.exists() or _normalised(load(root.parent / url)) != _normalised(load(built)):
            stale.append(url)
    return stale


def sam() -> list[str]:
    """The SAM CLI: sam itself against AWS; against a local cloud (AWS_ENDPOINT_URL on loopback) the same CLI through
    `python -m strata_local_cloud.sam`, which a test run forks from its zygote, its modules already imported."""
    from strata_local_cloud.sam import is_local

    if is_local(os.environ.get("AWS_ENDPOINT_URL", "")):
        return [sys.executable, "-m", "strata_local_cloud.sam"]
    return [str(Path(sys.executable).parent / "sam")]


def build_now() -> None:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "TURBO_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1"}
    for name, args in (("npx turbo run build", ["npx", "turbo", "run", "build", "--output-logs=errors-only"]), ("sam build", [*sam(), "build"])):
        result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{name} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


@functools.cache
def primary_identifier(resource_type: str) -> tuple[str, ...]:
    """The properties that name a resource (its registry schema's primaryIdentifier, when the template can set them)."""
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::Stack":
        return ()
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:  # noqa: BLE001 - a type cfn-lint does not know has no name we can check
        return ()
    read_only = set(schema.get("readOnlyProperties", []))
    return tuple(p.split("/")[2] for p in schema.get("primaryIdentifier", []) if p not in read_only and p.count("/") == 2)


def fixed_names(templates: dict[str, dict[str, Any]], row: dict[str, str]) -> list[str]:
    """Name properties the template sets on the resource of this row."""
    res = (templates.get(row["layer"], {}).get("Resources") or {}).get(row["id"]) or {}
    props = res.get("Properties") or {}
    return [p for p in primary_identifier(row["type"]) if p in props and props[p] != {"Ref": "AWS::NoValue"}]


def layer_templates(template_file: Path) -> dict[str, dict[str, Any]]:
    root = load(template_file)
    out = {"root": root}
    for logical_id, url in nested_template_urls(root).items():
        if (template_file.parent / url).exists():
            out[logical_id] = load(template_file.parent / url)
    return out


def package(settings: dict[str, Any], template: Path, region: str) -> str:
    """The template as `sam package` writes it; the temporary output file is removed whatever happens."""
    handle, name = tempfile.mkstemp(suffix=".yaml")
    os.close(handle)
    out = Path(name)
    try:
        return _sam_package(settings, template, region, out)
    finally:
        out.unlink(missing_ok=True)


def _sam_package(settings: dict[str, Any], template: Path, region: str, out: Path) -> str:
    args = [*sam(), "package", "--template-file", str(template), "--output-template-file", str(out),
            "--region", region]
    args += ["--resolve-s3"] if settings.get("resolve_s3") else ["--s3-bucket", settings["s3_bucket"]]
    if settings.get("s3_prefix"):
        args += ["--s3-prefix", settings["s3_prefix"]]
    if settings.get("profile"):
        args += ["--profile", settings["profile"]]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"sam package failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return out.read_text()


def wait(cf: Any, change_set_id: str) -> dict[str, Any]:
    """The change set once CloudFormation has finished computing it. Asked again after 0.2 s, then less and less often
    (at most every 2 s): a small change set is ready within a second, a large one in tens of seconds."""
    delay = 0.2
    while True:
        described = cf.describe_change_set(ChangeSetName=change_set_id)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return described
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def changes(cf: Any, change_set_id: str, layer: str) -> list[dict[str, str]]:
    """Rows of one change set and, recursively, of its nested change sets."""
    rows: list[dict[str, str]] = []
    token = None
    while True:
        page = cf.describe_change_set(ChangeSetName=change_set_id, **({"NextToken": token} if token else {}))
        for change in page.get("Changes", []):
            rc = change["ResourceChange"]
            action = rc["Action"]
            if action == "Modify" and rc.get("Replacement") in ("True", "Conditional"):
                action = "Replace" if rc["Replacement"] == "True" else "Replace?"
            rows.append({"layer": layer, "id": rc["LogicalResourceId"], "type": rc["ResourceType"], "action": action,
                         "detail": ", ".join(d["Target"].get("Name", "") for d in rc.get("Details", []) if d.get("Target"))})
            if rc["ResourceType"] == "AWS::CloudFormation::Stack" and rc.get("ChangeSetId"):
                rows += changes(cf, rc["ChangeSetId"], rc["LogicalResourceId"])
        token = page.get("NextToken")
        if not token:
            return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-env", required=True)
    parser.add_argument("--region", default=None, help="the region to plan in (default: the config-env's)")
    parser.add_argument("--template-file", type=Path, default=BUILD / "template.yaml")
    parser.add_argument("--no-build", action="store_true", help="refuse a stale build instead of rebuilding it")
    parser.add_argument("--parameter-overrides", default=None, help="as for sam deploy (replaces the config-env's)")
    parser.add_argument("--allow-replace", action="append", default=[], metavar="LAYER/LOGICAL_ID",
                        help="accept the replacement or removal of exactly this stateful resource")
    parser.add_argument("--keep-change-set", action="store_true", help="leave the change set for review instead of deleting it")
    args = parser.parse_args()
    if args.template_file.resolve() == (BUILD / "template.yaml").resolve():
        stale = stale_templates()
        if stale and args.no_build:
            print(f"REFUSED: the build in {BUILD.relative_to(REPO)} is stale: {', '.join(stale)} changed since the last sam build. "
                  "Run `npx turbo run build && .venv/bin/sam build` (or drop --no-build to let plan build).", file=sys.stderr)
            return 3
        if stale:
            print(f"the build is stale ({', '.join(stale)} changed since the last sam build): building", file=sys.stderr)
            build_now()
    if not args.template_file.exists():
        raise SystemExit(f"{args.template_file} does not exist: run `npx turbo run build && .venv/bin/sam build` first")
    settings = deploy_settings(args.config_env)
    region, stack = args.region or settings.get("region", "us-east-1"), settings["stack_name"]
    # the profile the config-env names, as sam deploy uses it (the local ones name strata-local-cloud: the guard)
    cf = boto3.session.Session(profile_name=settings.get("profile"), region_name=region).client("cloudformation")
    body = package(settings, args.template_file, region)
    params = pairs(args.parameter_overrides if args.parameter_overrides is not None else settings.get("parameter_overrides", ""))
    try:
        exists = cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] != "REVIEW_IN_PROGRESS"
    except cf.exceptions.ClientError:
        exists = False
    created = cf.create_change_set(
        StackName=stack, ChangeSetName=f"strata-plan-{uuid.uuid4().hex[:8]}", ChangeSetType="UPDATE" if exists else "CREATE",
        TemplateBody=body, IncludeNestedStacks=True, Capabilities=settings.get("capabilities", "").split(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Tags=[{"Key": k, "Value": v} for k, v in pairs(settings.get("tags", "")).items()])
    try:
        described = wait(cf, created["Id"])
        if described["Status"] == "FAILED":
            if "didn't contain changes" in described.get("StatusReason", "") or "No updates" in described.get("StatusReason", ""):
                print(f"{stack}: no changes")
                return 0
            print(f"{stack}: the change set failed: {described.get('StatusReason')}", file=sys.stderr)
            return 1
        rows = changes(cf, created["Id"], "root")
    finally:
        if not args.keep_change_set:
            cf.delete_change_set(ChangeSetName=created["Id"])
    print(f"{stack} ({args.config_env}, {region}): {len(rows)} changes")
    print(f"  {'layer':<18} {'action':<9} {'resource':<34} {'type':<42} properties")
    for r in rows:
        print(f"  {r['layer']:<18} {r['action']:<9} {r['id']:<34} {r['type']:<42} {r['detail']}")
    # A resource with a fixed name cannot be replaced under that name: CloudFormation creates the new one
    # first, and the old one still holds the name ("If you specify a name, you cannot perform updates that
    # require replacement of this resource. ... If you must replace the resource, specify a new name":
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html).
    # No --allow-replace makes that succeed, so none accepts it.
    templates = layer_templates(args.template_file)
    impossible = [(r, names) for r in rows if r["action"] == "Replace"
                  for names in [[n for n in fixed_names(templates, r) if n not in r["detail"].split(", ")]] if names]
    risky = [r for r in rows if r["type"] in STATEFUL and r["action"] in ("Replace", "Replace?", "Remove")]
    blocked = [r for r in risky if f"{r['layer']}/{r['id']}" not in args.allow_replace]
    for r in risky:
        if r not in blocked:
            print(f"  allowed by --allow-replace: {r['action']} {r['layer']}/{r['id']}")
    if impossible:
        print("\nREFUSED: these replacements cannot succeed: the resource keeps its fixed name, which the old copy still "
              "holds while CloudFormation creates the new one (--allow-replace cannot change that):", file=sys.stderr)
        for r, names in impossible:
            print(f"  Replace  {r['layer']}/{r['id']} ({r['type']}: {r['detail']}): give {' and '.join(names)} a new value in the same "
                  f"deploy, or undo the change to {r['detail']}", file=sys.stderr)
    if blocked:
        print("\nREFUSED: this deploy would replace or remove stateful resources, losing or orphaning their data:", file=sys.stderr)
        for r in blocked:
            print(f"  {r['action']:<8} {r['layer']}/{r['id']} ({r['type']}{': ' + r['detail'] if r['detail'] else ''})", file=sys.stderr)
        flags = " ".join(f"--allow-replace {r['layer']}/{r['id']}" for r in blocked)
        print(f"If that is intended (after a snapshot or backup), re-run with {flags}", file=sys.stderr)
    return 2 if blocked or impossible else 0


if __name__ == "__main__":
    sys.exit(main())
