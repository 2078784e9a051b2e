"""The local cloud's template evaluator (local-cloud/strata_local_cloud/cfn/template.py) against the golden corpus
it shares with @strata/cfn-model's (packages/cfn-model/tests/unit/golden.test.ts): tests/golden/evaluator/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from strata_local_cloud.cfn.errors import ValidationError
from strata_local_cloud.cfn.template import NO_VALUE, Context, Unknown, apply_transforms, parameter_value, resolve_parameters

CORPUS = sorted((Path(__file__).parent / "evaluator").glob("*.yaml"))


def deferred(value: Any) -> Any:
    """The corpus's notation: a value that exists only once the stack is deployed is `<deferred>`."""
    if isinstance(value, Unknown):
        return "<deferred>"
    if isinstance(value, list):
        return [deferred(v) for v in value]
    if isinstance(value, dict):
        return {k: deferred(v) for k, v in value.items()}
    return value


def evaluate(case: dict[str, Any]) -> dict[str, Any]:
    target = case["target"]
    pseudo: dict[str, Any] = {"AWS::Region": target["region"], "AWS::AccountId": target["accountId"], "AWS::Partition": "aws",
                              "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "golden",
                              "AWS::StackId": f"arn:aws:cloudformation:{target['region']}:{target['accountId']}:stack/golden/1"}
    given = {k: str(v) for k, v in (case.get("parameters") or {}).items()}
    params = resolve_parameters(case["template"], given, {})
    template = apply_transforms(case["template"], params, pseudo)
    declared = template.get("Parameters") or {}
    # The stack's name and ID exist only once it is created, as a resource's Ref does (the corpus compares offline).
    ctx = Context(template=template, params={k: parameter_value(declared.get(k, {}), v) for k, v in params.items()},
                  pseudo={**pseudo, "AWS::StackName": Unknown("AWS::StackName"), "AWS::StackId": Unknown("AWS::StackId")},
                  get_azs=lambda region: list(target["availabilityZones"]) if region == target["region"] else [])
    ctx.evaluate_conditions()
    resources = {k: ctx.resolve(r) for k, r in (template.get("Resources") or {}).items() if ctx.condition(r.get("Condition"))}
    outputs = {}
    for k, o in (template.get("Outputs") or {}).items():
        if ctx.condition(o.get("Condition")):
            value = ctx.resolve(o["Value"])
            if value is not NO_VALUE:
                outputs[k] = value
    return {"conditions": ctx.conditions, "resources": deferred(resources), "outputs": deferred(outputs)}


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_the_local_cloud_resolves_each_case_as_cloudformation_does(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    if "error" in case["expect"]:  # a refusal: CloudFormation stops before anything is created, saying why
        with pytest.raises(ValidationError, match=re.escape(case["expect"]["error"])):
            evaluate(case)
    else:
        assert evaluate(case) == case["expect"]


def test_the_corpus_covers_what_the_issue_names() -> None:
    text = "".join(p.read_text() for p in CORPUS)
    for feature in ("Fn::ForEach", "DefaultValue", "Fn::Cidr", "Fn::GetAZs", "Fn::And", "Fn::Or", "Fn::Not", "Fn::FindInMap", "Fn::Sub"):
        assert feature in text, feature
