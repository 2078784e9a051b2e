"""The fidelity corpus: for each emulated rule, what AWS refuses and its valid twin that AWS accepts.

A corpus file (tests/corpus/<class>.yaml) lists cases of one class (rules.CLASSES). A case names its rule (a
rules.RULES id), says what it shows (`title`), cites its AWS source, and gives two step lists, `refused` and
`accepted`. A step is one of
  create / update: <template>   a stack operation through a change set, as `sam deploy` runs it
  delete: {retain: [ids]}       DeleteStack (RetainResources when given)
  call: {service, op, args, save} one API call (boto3 names); `save: {Name: Path.0.Field}` keeps a value of the answer
                                for `${Name}` in the side's later steps (an ID the service chose, such as an OU's)
with `stack: <key>` to address a second stack, `params:` for stack parameters, `region:` (default us-east-1;
account-wide singletons such as the Config recorder get a region of their own), `account: <key>` to act in an account
of the side's own (a fresh 12-digit ID per key and side, reached by STS AssumeRole as moto selects accounts: for
organization-wide singletons), and an expectation: success
unless `fails: {at, reason}` says where and why it fails: `at` is `request` (the API call is refused),
`change-set` (pre-deployment validation fails the change set), or `resource` (the operation fails at a
resource and rolls back; a delete ends DELETE_FAILED); `reason` is a regular expression the error, the
status reasons or the validation events must match. `${Suffix}` in any string is replaced by a fresh id per
side, so names never collide between runs or sides.

A case behaves as AWS when every step of both sides meets its expectation. `python -m strata_local_cloud.fidelity`
(npm run bench:fidelity) starts a local cloud, runs the corpus, prints the count per class, writes
bench/results/fidelity.json and the README's table; the tests run the same cases (tests/test_fidelity.py).
"""

from __future__ import annotations

import argparse
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .accounts import keys_for
from .rules import CLASSES, Class, load
from .stacks import failure_reasons, wait_stack

Clients = Callable[[str, str, str | None], Any]  # (service, region, account or None: the default) -> a boto3 client
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
RESULTS = Path(__file__).resolve().parent.parent.parent / "bench" / "results" / "fidelity.json"


@dataclass
class Case:
    id: str
    cls: Class
    rule: str
    title: str
    source: str
    refused: list[dict[str, Any]]
    accepted: list[dict[str, Any]]


@dataclass
class Result:
    case: Case
    refused_ok: bool
    accepted_ok: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.refused_ok and self.accepted_ok


def load_corpus(directory: Path = CORPUS) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        cls = path.stem
        if cls not in CLASSES:
            raise ValueError(f"{path.name}: the file name must be a class ({', '.join(CLASSES)})")
        # libyaml's safe loader (the same documents as safe_load, a tenth of the time: every pytest worker reads the corpus)
        for n, raw in enumerate(yaml.load(path.read_text(), Loader=yaml.CSafeLoader) or [], 1):
            missing = {"rule", "title", "source", "refused", "accepted"} - set(raw)
            if missing:
                raise ValueError(f"{path.name} case {n}: missing {sorted(missing)}")
            slug = re.sub(r"[^a-z0-9]+", "-", raw["title"].lower()).strip("-")
            cases.append(Case(f"{cls}/{slug}", cls, raw["rule"], raw["title"], raw["source"], raw["refused"], raw["accepted"]))
    ids = [c.id for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"two cases share a title: {duplicates}")
    return cases


def _substitute(node: Any, value: str, marker: str = "${Suffix}") -> Any:
    if isinstance(node, str):
        return node.replace(marker, value)
    if isinstance(node, list):
        return [_substitute(x, value, marker) for x in node]
    if isinstance(node, dict):
        return {k: _substitute(v, value, marker) for k, v in node.items()}
    return node


class _Side:
    """One side of a case: its steps, run in order against one suffix."""

    def __init__(self, clients: Clients, suffix: str) -> None:
        self.clients, self.suffix = clients, suffix
        self.stacks: dict[str, tuple[str, str, str | None]] = {}  # key -> (stack name, region, account)
        self.accounts: dict[str, str] = {}  # the side's account keys -> fresh account IDs
        self.region = "us-east-1"
        self.account: str | None = None
        self.saved: dict[str, str] = {}

    @property
    def cf(self) -> Any:
        return self.clients("cloudformation", self.region, self.account)

    def stack_name(self, key: str) -> str:
        return self.stacks.setdefault(key, (f"fc-{self.suffix}-{key}", self.region, self.account))[0]

    def run(self, step: dict[str, Any]) -> str | None:
        """None when the step met its expectation, else what happened instead."""
        for name, value in self.saved.items():
            step = _substitute(step, value, f"${{{name}}}")
        expect = step.get("fails")
        self.region = step.get("region", "us-east-1")
        named = str(step.get("account", ""))
        # an account ID (saved from an answer: an account the organization created) is used as it is
        self.account = (named if re.fullmatch(r"\d{12}", named) else self.accounts.setdefault(named, str(uuid.uuid4().int)[:12].rjust(12, "1"))
                        ) if named else None
        try:
            if "call" in step:
                return self.call(step["call"], expect)
            if "delete" in step:
                return self.delete(self.stack_name(step.get("stack", "main")), expect, (step["delete"] or {}).get("retain"))
            op = "create" if "create" in step else "update"
            return self.deploy(op, self.stack_name(step.get("stack", "main")), step[op], step.get("params") or {}, expect)
        except Exception as error:  # noqa: BLE001 - any surprise is this step's outcome, reported, never raised
            return f"{type(error).__name__}: {error}"

    def call(self, spec: dict[str, Any], expect: dict[str, Any] | None) -> str | None:
        client = self.clients(spec["service"], self.region, self.account)
        try:
            answer = getattr(client, spec["op"])(**(spec.get("args") or {}))
            for name, path in (spec.get("save") or {}).items():
                value: Any = answer
                for part in str(path).split("."):
                    value = value[int(part)] if part.isdigit() else value[part]
                self.saved[name] = str(value)
        except client.exceptions.ClientError as error:
            if expect is None:
                return f"{spec['op']} was refused: {error}"
            return _match(expect, [str(error)])
        return None if expect is None else f"{spec['op']} was accepted; expected a refusal matching {expect.get('reason')!r}"

    def deploy(self, op: str, stack: str, template: dict[str, Any], params: dict[str, str], expect: dict[str, Any] | None) -> str | None:
        at = (expect or {}).get("at")
        try:
            cs = self.cf.create_change_set(StackName=stack, ChangeSetName=f"c{uuid.uuid4().hex[:8]}", TemplateBody=json.dumps(template),
                                           ChangeSetType="CREATE" if op == "create" else "UPDATE",
                                           Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
                                           Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in params.items()])
        except self.cf.exceptions.ClientError as error:
            if at == "request":
                return _match(expect or {}, [str(error)])
            return f"CreateChangeSet was refused: {error}"
        if at == "request":
            return "CreateChangeSet was accepted; expected a refusal"
        described = self.cf.describe_change_set(ChangeSetName=cs["Id"])
        if described["Status"] == "FAILED":
            events = self.cf.describe_events(ChangeSetName=cs["Id"]).get("OperationEvents", [])
            texts = [described.get("StatusReason", "")] + [e.get("ValidationStatusReason", "") for e in events]
            return _match(expect or {}, texts) if at == "change-set" else f"the change set failed: {' | '.join(texts)}"
        if at == "change-set":
            return "the change set was created; expected pre-deployment validation to fail it"
        self.cf.execute_change_set(ChangeSetName=cs["Id"])
        status = wait_stack(self.cf, cs["StackId"])["StackStatus"]
        good = "CREATE_COMPLETE" if op == "create" else "UPDATE_COMPLETE"
        if at == "resource":
            if status == good:
                return f"the {op} succeeded ({status}); expected it to fail at a resource"
            return _match(expect or {}, failure_reasons(self.cf, cs["StackId"]))
        return None if status == good else f"{status}: {' | '.join(r for r in failure_reasons(self.cf, cs['StackId']) if r)[:800]}"

    def delete(self, stack: str, expect: dict[str, Any] | None, retain: list[str] | None = None) -> str | None:
        stack = self.cf.describe_stacks(StackName=stack)["Stacks"][0]["StackId"]  # a deleted stack is found by its ID only
        self.cf.delete_stack(StackName=stack, **({"RetainResources": retain} if retain else {}))
        status = wait_stack(self.cf, stack)["StackStatus"]
        if expect is None:
            return None if status == "DELETE_COMPLETE" else f"{status}: {' | '.join(failure_reasons(self.cf, stack))[:800]}"
        if status != "DELETE_FAILED":
            return f"the delete ended {status}; expected DELETE_FAILED"
        return _match(expect, failure_reasons(self.cf, stack))

    def clean_up(self) -> None:
        for stack, region, account in reversed(list(self.stacks.values())):
            try:
                cf = self.clients("cloudformation", region, account)
                cf.delete_stack(StackName=stack)
                wait_stack(cf, stack, timeout=60)
            except Exception:  # noqa: BLE001 - best effort: a protected or failed stack stays in this local cloud
                pass


def _match(expect: dict[str, Any], texts: list[str]) -> str | None:
    pattern = expect.get("reason", "")
    if any(re.search(pattern, t or "") for t in texts):
        return None
    return f"no reason matches {pattern!r}: {' | '.join(t for t in texts if t)[:800]}"


def run_case(case: Case, clients: Clients) -> Result:
    result = Result(case, refused_ok=True, accepted_ok=True)
    for side in ("refused", "accepted"):
        suffix = uuid.uuid4().hex[:8]
        runner = _Side(clients, suffix)
        try:
            for n, step in enumerate(_substitute(getattr(case, side), suffix), 1):
                problem = runner.run(step)
                if problem is not None:
                    setattr(result, f"{side}_ok", False)
                    result.problems.append(f"{side} step {n}: {problem}")
                    break
        finally:
            runner.clean_up()
    return result


# ------------------------------------------------------------------ reports
def summary(results: list[Result]) -> dict[str, Any]:
    per_class = {cls: {"cases": 0, "as_aws": 0} for cls in CLASSES}
    for r in results:
        per_class[r.case.cls]["cases"] += 1
        per_class[r.case.cls]["as_aws"] += int(r.ok)
    return {"classes": per_class, "cases": {r.case.id: {"rule": r.case.rule, "as_aws": r.ok, "problems": r.problems} for r in results},
            "total": {"cases": len(results), "as_aws": sum(r.ok for r in results)}, "rules": len({r.case.rule for r in results})}


def fidelity_table(data: dict[str, Any]) -> str:
    rows = ["| Class | Refusal/acceptance pairs | Behave as AWS |", "| --- | --: | --: |"]
    for cls, title in CLASSES.items():
        c = data["classes"][cls]
        rows.append(f"| {title} | {c['cases']} | {c['as_aws']} |")
    t = data["total"]
    rows.append(f"| **All** ({data['rules']} rules) | {t['cases']} | {t['as_aws']} |")
    return "\n".join(rows)


def types_table() -> str:
    """Every type the local cloud provides, with what it validates and enforces (from the code: the registry
    schemas, the providers' name checks and in-place updates, and the rules registry)."""
    from .cfn.providers import provider_for, supported_types
    from .cfn.replacement import updatable
    from .cfn.validation import is_known, is_validated

    rules = load()
    rows = ["| Type | Schema validation | Name conflicts | In-place updates (of updatable) | Service, permission, protection and update rules | "
            "Updates refused (not applied in place) |",
            "| --- | --- | --- | --: | --- | --- |"]
    for resource_type in supported_types():
        provider = provider_for(resource_type)
        schema = "yes" if is_validated(resource_type) and is_known(resource_type) else "no schema (custom resource)"
        named = provider.name_property or "-"
        in_place = f"{len(provider.updates_in_place() & updatable(resource_type))} of {len(updatable(resource_type))}" if is_validated(resource_type) else "the function decides"
        ids = [r.id for r in rules.values() if resource_type in r.types]
        missing = sorted(updatable(resource_type) - provider.updates_in_place()) if is_validated(resource_type) else []
        refused = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "") if missing else "-"
        rows.append(f"| `{resource_type}` | {schema} | {named} | {in_place} | {', '.join(ids) or '-'} | {refused} |")
    return "\n".join(rows)


def clients_for(url: str) -> Clients:
    """boto3 clients for the local cloud at `url`, one per service and region, made once."""
    import functools

    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    make: Any = session.client  # Any: boto3's client() is typed per service-name literal

    keys = functools.cache(lambda account: keys_for(url, account))

    @functools.cache
    def client(service: str, region: str, account: str | None = None) -> Any:
        return make(service, region_name=region, endpoint_url=url, **(keys(account) if account else {}))

    return client


def main(argv: list[str] | None = None) -> int:
    from .launch import LocalCloud

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", type=Path, help="write the results here (bench/results/fidelity.json)")
    parser.add_argument("--print", choices=("fidelity", "types"), dest="table",
                        help="print a docs block and run nothing: the fidelity table from --json's results, or the types table from the code "
                             "(npm run docs renders both, packages/cfn-model/src/docs.ts)")
    args = parser.parse_args(argv)
    if args.table:
        results = args.json or RESULTS
        print(types_table() if args.table == "types" else fidelity_table(json.loads(results.read_text())))
        return 0
    cases = load_corpus(args.corpus)
    cloud = LocalCloud(log=Path(".strata/local-cloud-fidelity.log"))
    try:
        results = [run_case(c, clients_for(cloud.url)) for c in cases]
    finally:
        cloud.stop()
    data = summary(results)
    print(fidelity_table(data))
    for r in results:
        if not r.ok:
            print(f"NOT AS AWS: {r.case.id}: {'; '.join(r.problems)}")
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0 if data["total"]["as_aws"] == data["total"]["cases"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
