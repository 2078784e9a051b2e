"""`python -m strata_local_cloud.sam`: the SAM CLI whose waits poll at SAM_CLI_POLL_DELAY, for a local cloud only."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import botocore.waiter
import pytest

from strata_local_cloud import sam


def run(endpoint: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    if endpoint is not None:
        env["AWS_ENDPOINT_URL"] = endpoint
    return subprocess.run([sys.executable, "-m", "strata_local_cloud.sam", *args], env={**env, "SAM_CLI_TELEMETRY": "0"},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("endpoint", [None, "https://cloudformation.us-east-1.amazonaws.com", "http://10.0.0.5:4566"])
def test_it_refuses_to_run_unless_the_endpoint_is_a_local_cloud_on_loopback(endpoint: str | None) -> None:
    done = run(endpoint, "--version")
    assert done.returncode == 2
    assert "AWS_ENDPOINT_URL must be a loopback URL" in done.stderr and "run sam itself" in done.stderr


def test_a_command_that_makes_no_aws_call_runs_without_an_endpoint(tmp_path: Any) -> None:
    """sam validate --lint (cfn-lint alone) and sam build run anywhere; validate without --lint (it may ask IAM) and a
    container build (it pulls images) are refused like any other command."""
    (tmp_path / "t.yaml").write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    done = run(None, "validate", "--lint", "--template-file", str(tmp_path / "t.yaml"))
    assert done.returncode == 0 and "is a valid SAM Template" in done.stdout + done.stderr, done.stderr
    assert sam.offline(["build"]) and sam.offline(["build", "--cached"])
    for refused in (["validate", "--template-file", "t.yaml"], ["build", "--use-container"], ["deploy"], ["package"]):
        assert not sam.offline(refused), refused
    done = run(None, "validate", "--template-file", str(tmp_path / "t.yaml"))
    assert done.returncode == 2 and "AWS_ENDPOINT_URL must be a loopback URL" in done.stderr


def test_against_a_loopback_endpoint_it_is_the_sam_cli() -> None:
    done = run("http://127.0.0.1:1", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("SAM CLI, version ")


def test_a_waiter_polls_at_the_delay_and_keeps_its_whole_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """sam delete's waiter asks for a 30 s delay (and the model's 120 attempts: an hour); here it polls every 0.5 s,
    up to 7,200 times, and stops at the same acceptor as before."""
    monkeypatch.setattr(botocore.waiter.Waiter, "wait", botocore.waiter.Waiter.wait)  # undone after the test
    sam.fast_waiters(0.5)
    config = botocore.waiter.SingleWaiterConfig({"delay": 30, "maxAttempts": 120, "operation": "DescribeStacks", "acceptors": [
        {"state": "success", "matcher": "path", "argument": "Stacks[0].StackStatus", "expected": "DELETE_COMPLETE"}]})
    statuses = iter(["DELETE_IN_PROGRESS", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"])
    sleeps: list[float] = []
    monkeypatch.setattr(botocore.waiter.time, "sleep", sleeps.append)

    def describe(**_: Any) -> dict[str, Any]:
        return {"Stacks": [{"StackStatus": next(statuses)}]}

    botocore.waiter.Waiter("StackDeleteComplete", config, describe).wait(StackName="s", WaiterConfig={"Delay": 30})
    assert sleeps == [0.5, 0.5]

    # the budget: 30 s x 120 attempts before, 0.5 s x 7,200 now; a waiter that never matches gives up after as long
    sleeps.clear()
    never = botocore.waiter.Waiter("StackDeleteComplete", config, lambda **_: {"Stacks": [{"StackStatus": "DELETE_IN_PROGRESS"}]})
    with pytest.raises(botocore.waiter.WaiterError, match="Max attempts exceeded"):
        never.wait(StackName="s", WaiterConfig={"Delay": 30})
    assert len(sleeps) == 7199 and sum(sleeps) == pytest.approx(30 * 120 - 0.5)


def test_a_waiter_that_already_polls_faster_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.waiter.Waiter, "wait", botocore.waiter.Waiter.wait)
    sam.fast_waiters(0.5)
    config = botocore.waiter.SingleWaiterConfig({"delay": 0.2, "maxAttempts": 3, "operation": "DescribeStacks", "acceptors": [
        {"state": "success", "matcher": "path", "argument": "Stacks[0].StackStatus", "expected": "DONE"}]})
    sleeps: list[float] = []
    monkeypatch.setattr(botocore.waiter.time, "sleep", sleeps.append)
    with pytest.raises(botocore.waiter.WaiterError):
        botocore.waiter.Waiter("W", config, lambda **_: {"Stacks": [{"StackStatus": "NOT_YET"}]}).wait()
    assert sleeps == [0.2, 0.2]


def probe(code: str, *args: str) -> None:
    """Runs `code` in a process of its own (the patches reach every samcli module that imported what they replace),
    with `fails_every_time(call, error)`: the call raises `error` on each of two tries, and `args` in sys.argv[1:]."""
    helper = ("def fails_every_time(call, error):\n    for _ in range(2):\n        try:\n            call()\n"
              "        except error:\n            continue\n        raise AssertionError(f'{call} was accepted')\n")
    done = subprocess.run([sys.executable, "-c", helper + code + "\nprint('ok')\n", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_each_template_text_is_parsed_once_and_every_caller_gets_its_own_copy() -> None:
    """In a process of its own (the patch reaches every samcli module that imported yaml_parse)."""
    code = """
import yaml
from samcli import yamlhelper
from samcli.lib.utils import resources  # noqa: F401 - any samcli module; the provider below imported yaml_parse by name
from samcli.lib.providers import sam_stack_provider
calls = []
real = yaml.safe_load
yaml.safe_load = lambda text: calls.append(1) or real(text)
from strata_local_cloud import sam, shared_cache
sam.memo_yaml_parse()
text = "Resources:\\n  Topic:\\n    Type: AWS::SNS::Topic\\n    Properties: {TopicName: !Sub '${AWS::StackName}-t'}\\n"
first = sam_stack_provider.get_template_data.__globals__["yaml_parse"](text)
first["Resources"]["Topic"]["Type"] = "changed by its caller"
second = yamlhelper.yaml_parse(text)
assert second["Resources"]["Topic"] == {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-t"}}}, second
assert len(calls) == 1, calls
fails_every_time(lambda: yamlhelper.yaml_parse("a: [unclosed"), yaml.YAMLError)
assert len(calls) == 3, calls
"""
    probe(code)


PARSE_WITH_A_SHARED_CACHE = """
import sys, yaml
from samcli import yamlhelper
calls = []
real = yaml.safe_load
yaml.safe_load = lambda text: calls.append(1) or real(text)
from strata_local_cloud import sam, shared_cache
sam.memo_yaml_parse(shared_cache.SharedCache(sys.argv[1]))
text = "Resources:\\n  Topic:\\n    Type: AWS::SNS::Topic\\n    Properties: {TopicName: !Sub '${AWS::StackName}-t'}\\n"
parsed = yamlhelper.yaml_parse(text)
assert parsed == {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-t"}}}}}
assert type(parsed).__name__ == "OrderedDict" and type(parsed["Resources"]).__name__ == "OrderedDict", type(parsed)
assert len(calls) == int(sys.argv[2]), calls
fails_every_time(lambda: yamlhelper.yaml_parse("a: [unclosed"), yaml.YAMLError)
assert len(calls) == int(sys.argv[2]) + 2, calls
"""


def test_a_parse_is_shared_with_the_run_s_other_commands_through_the_cache_and_a_failed_one_is_not(tmp_path: Any) -> None:
    """The first command parses the text and keeps the result; the second gets the same objects, types included (SAM's
    parser makes OrderedDicts), without parsing; a text that fails to parse fails in each, and nothing is kept of it."""
    probe(PARSE_WITH_A_SHARED_CACHE, str(tmp_path), "1")
    probe(PARSE_WITH_A_SHARED_CACHE, str(tmp_path), "0")
    assert len(list((tmp_path / "yaml").iterdir())) == 1  # the one text that parsed; no partial file left


def test_a_function_zip_is_made_once_per_content_and_is_the_zip_sam_makes(tmp_path: Any) -> None:
    """The zip from the cache is byte for byte the one SAM makes of the same directory; a changed byte or mode makes a new
    one (SAM's again); the method is part of the key (its permission mappers differ)."""
    code = """
import os, sys, filecmp
from pathlib import Path
from samcli.lib.package import utils
real = {name: getattr(utils, name) for name in ("make_zip", "make_zip_with_lambda_permissions")}
from strata_local_cloud import sam, shared_cache
source, out, cache = Path(sys.argv[1], "function"), Path(sys.argv[1], "out"), Path(sys.argv[2])
(source / "lib").mkdir(parents=True); out.mkdir()
(source / "index.js").write_text("exports.handler = async () => 1;\\n"); (source / "lib" / "a.js").write_text("module.exports = 2;\\n")
sam.memo_zips(shared_cache.SharedCache(str(cache)))

def check(name, n, kept):
    got = getattr(utils, name)(str(out / f"{name}-{n}"), str(source))
    assert got == str(out / f"{name}-{n}.zip"), got
    assert filecmp.cmp(got, real[name](str(out / f"sam-{name}-{n}"), str(source)), shallow=False), (name, n)
    assert len(list((cache / "zip").iterdir())) == kept, (name, n)  # zips made so far (a partial file would count too)

check("make_zip_with_lambda_permissions", 1, 1)
check("make_zip_with_lambda_permissions", 2, 1)  # copied from the cache
check("make_zip", 3, 2)  # another method, another zip
(source / "lib" / "a.js").write_text("module.exports = 3;\\n")
check("make_zip", 4, 3)
os.chmod(source / "index.js", 0o600)
check("make_zip", 5, 4)
check("make_zip", 6, 4)
"""
    probe(code, str(tmp_path / "work"), str(tmp_path / "cache"))


def test_without_a_cache_directory_sam_zips_as_it_does() -> None:
    code = """
from samcli.lib.package import utils
before = (utils.make_zip, utils.make_zip_with_lambda_permissions)
from strata_local_cloud import sam, shared_cache
sam.memo_zips(shared_cache.SharedCache(None))
assert (utils.make_zip, utils.make_zip_with_lambda_permissions) == before
"""
    probe(code)


DUMP = """
import sys, threading, yaml
from collections import OrderedDict
from samcli import yamlhelper
from samcli.lib.package import artifact_exporter  # imported yaml_dump by name
from samtranslator.utils.py27hash_fix import Py27Dict, Py27UniStr
real = yamlhelper.yaml_dump
calls = []
yamlhelper.yaml_dump = artifact_exporter.yaml_dump = lambda data: calls.append(1) or real(data)  # counts SAM's dumps
from strata_local_cloud import sam, shared_cache
sam.memo_yaml_dump(shared_cache.SharedCache(sys.argv[1] or None))
shared = OrderedDict([("Ref", "X")])
cases = [
    OrderedDict([("Resources", OrderedDict([("T", OrderedDict([("Type", "AWS::SNS::Topic"), ("Properties", OrderedDict([
        ("TopicName", "yes"), ("N", "012"), ("Multi", "a\\nb"), ("Sub", OrderedDict([("Fn::Sub", "${AWS::StackName}")]))]))]))]))]),
    {"a": shared, "b": shared, "c": [shared, 1, 1.5, True, None]},  # one object twice: the same text either way
    {"a": OrderedDict([("Ref", "X")]), "b": OrderedDict([("Ref", "X")]), "c": [OrderedDict([("Ref", "X")]), 1, 1.5, True, None]},
    Py27Dict({"k": Py27UniStr("v")}),
    {"k": "v"},
    {"k": "v", "order": "matters"}, {"order": "matters", "k": "v"},  # a dict's keys are sorted, an OrderedDict's are not
    OrderedDict([("k", "v"), ("order", "matters")]), OrderedDict([("order", "matters"), ("k", "v")]),
    {"lock": threading.Lock()},  # does not pickle: dumped as SAM does (and fails as it does)
]
for case in cases[:-1]:
    calls.clear()
    first = artifact_exporter.yaml_dump(case)
    assert first == real(case), case
    assert artifact_exporter.yaml_dump(case) == first
    assert len(calls) == int(sys.argv[2]), (case, calls)
fails_every_time(lambda: artifact_exporter.yaml_dump(cases[-1]), yaml.representer.RepresenterError)
"""


def test_a_template_s_data_is_written_out_once_as_the_sam_cli_writes_it(tmp_path: Any) -> None:
    """Within a command, and through the shared cache across commands: the text is the SAM CLI's own for every kind of
    data it writes (OrderedDicts, its Py27 types, shared references, key order); data that does not pickle is dumped
    by the SAM CLI itself each time."""
    probe(DUMP, "", "1")  # one command, no shared cache: each data dumped once
    probe(DUMP, str(tmp_path), "1")  # the first command with a cache dumps each once and keeps it
    probe(DUMP, str(tmp_path), "0")  # the next one dumps nothing
    assert not [p for p in (tmp_path / "yaml-dump").iterdir() if p.name.startswith(".")]


def test_the_policy_templates_are_checked_once_while_they_pass_and_every_time_they_fail() -> None:
    code = """
import copy, jsonschema
from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor as P
from samtranslator.translator.translator import make_policy_template_for_function_plugin
calls = []
real = jsonschema.validate
jsonschema.validate = lambda *a, **k: calls.append(1) or real(*a, **k)
from strata_local_cloud import sam, shared_cache
sam.memo_policy_template_check()
for _ in range(3):
    plugin = make_policy_template_for_function_plugin()
assert len(calls) == 1, calls
assert plugin._policy_template_processor.has("S3ReadPolicy")
broken = copy.deepcopy(P.get_default_policy_templates_json())
broken["Templates"]["S3ReadPolicy"]["Definition"] = "not an object"
fails_every_time(lambda: P(broken), ValueError)
assert len(calls) == 3, calls
"""
    probe(code)
