"""Property validation against the registry schemas cfn-lint ships, as CloudFormation applies it.

CloudFormation validates a resource's properties against its type's registry schema twice:
- before anything is provisioned ("pre-deployment validation", property syntax validation in FAIL mode): on
  CreateChangeSet the change set fails with "The following hook(s)/validation failed:
  [AWS::EarlyValidation::PropertyValidation]" and DescribeEvents lists each failure; on CreateStack and
  UpdateStack the operation is refused before the stack goes IN_PROGRESS
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/validate-stack-deployments.html). Values known
  only at execution (Ref/GetAtt of resources not created yet) are not checked then;
- by the resource handler, on the resolved values, which fails the resource with "Properties validation failed
  for resource <LogicalId> with message: <violations>" (the registry's handler contract,
  https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html).

The violation texts follow the JSON-schema library the registry's handlers report with (everit): "#: extraneous
key [X] is not permitted", "#: required key [X] not found", "#/P: expected type: Number, found: String",
"#/P: V is not a valid enum value", "#/P: string [V] does not match pattern ...", "#/P: expected maxLength: N,
actual: M", "#/P: V is not greater or equal to N" and so on; several are listed in brackets.

CloudFormation's own coercions apply before the schema: a template value is text, so a string that reads as a
number or boolean satisfies "integer"/"number"/"boolean", and a number or boolean satisfies "string"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html: Number
parameters reach resources as strings).

Not checked (stated so the table in the README can say it): "format", and cfn-lint's own schema extensions
(requiredXor, requiredOr, dependentExcluded, enumCaseInsensitive), which are cfn-lint rules, not the registry's.
A pattern that is not valid in Python's `regex` dialect is skipped.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
import regex
from jsonschema import Draft7Validator, validators

from ..rules import ALL_TYPES, rule
from . import template as tpl
from .replacement import schema

_SOURCES = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/validate-stack-deployments.html, "
            "https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html")
UNKNOWN_PROPERTY = rule("schema-unknown-property", "schema", ALL_TYPES, "a property the type's schema does not define", _SOURCES)
TYPES = rule("schema-type", "schema", ALL_TYPES, "a value of the wrong type once CloudFormation's coercions apply", _SOURCES)
REQUIRED = rule("schema-required", "schema", ALL_TYPES, "a missing required property, at any depth", _SOURCES)
ENUM = rule("schema-enum", "schema", ALL_TYPES, "a value outside the schema's allowed values", _SOURCES)
PATTERN = rule("schema-pattern-and-length", "schema", ALL_TYPES, "a string that breaks its pattern, minLength or maxLength", _SOURCES)
RANGE = rule("schema-range-and-items", "schema", ALL_TYPES, "a number outside minimum/maximum, an array outside minItems/maxItems", _SOURCES)
COMBINATION = rule("schema-combinations", "schema", ALL_TYPES, "a value matching none (or, for oneOf, more than one) of oneOf/anyOf", _SOURCES)

_NUMERIC = re.compile(r"^\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_INTEGER = re.compile(r"^\s*-?\d+\s*$")

# everit's names for JSON types, as the registry's messages use them ("expected type: JSONArray, found: String").
_EVERIT = {"string": "String", "integer": "Integer", "number": "Number", "boolean": "Boolean", "object": "JSONObject",
           "array": "JSONArray", "null": "Null"}


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _fits(v: Any, expected: str) -> bool:
    """Whether a template value satisfies a schema type once CloudFormation has coerced it."""
    if isinstance(v, tpl.Unknown):
        return True
    actual = _json_type(v)
    if actual == expected or (expected == "number" and actual == "integer"):
        return True
    if expected == "string":
        return actual in ("integer", "number", "boolean")
    if isinstance(v, str):
        if expected == "integer":
            return bool(_INTEGER.match(v))
        if expected == "number":
            return bool(_NUMERIC.match(v))
        if expected == "boolean":
            return v.lower() in ("true", "false")
    return expected == "integer" and isinstance(v, float) and v.is_integer()


def _number(v: Any) -> float | None:
    if isinstance(v, (bool, tpl.Unknown)):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str) and _NUMERIC.match(v):
        return float(v)
    return None


def _text(v: Any) -> str | None:
    if isinstance(v, (tpl.Unknown, dict, list)) or v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


def _error(message: str) -> jsonschema.ValidationError:
    return jsonschema.ValidationError(message)


def _type(validator: Any, types: Any, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    wanted = [types] if isinstance(types, str) else list(types)
    if not any(_fits(instance, t) for t in wanted):
        yield _error(f"expected type: {' or '.join(_EVERIT.get(t, t) for t in wanted)}, found: {_EVERIT[_json_type(instance)]}")


def _enum(validator: Any, enums: Any, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, tpl.Unknown) or instance in enums:
        return
    text = _text(instance)
    if text is not None and text in [_text(e) for e in enums]:
        return
    yield _error(f"{text if text is not None else json.dumps(instance)} is not a valid enum value")


def _const(validator: Any, const: Any, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, tpl.Unknown) or instance == const or (_text(instance) is not None and _text(instance) == _text(const)):
        return
    yield _error(f"{_text(instance)} is not equal to {_text(const)}")


@functools.cache
def _compiled(pattern: str) -> Any:
    try:
        return regex.compile(pattern)
    except regex.error:
        return None  # a pattern Python's regex cannot read is skipped (stated in the module docstring)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    text = _text(instance)
    compiled = _compiled(pattern)
    if text is not None and compiled is not None and not compiled.search(text):
        yield _error(f"string [{text}] does not match pattern {pattern}")


def _min_length(validator: Any, n: int, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    text = _text(instance)
    if text is not None and len(text) < n:
        yield _error(f"expected minLength: {n}, actual: {len(text)}")


def _max_length(validator: Any, n: int, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    text = _text(instance)
    if text is not None and len(text) > n:
        yield _error(f"expected maxLength: {n}, actual: {len(text)}")


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _minimum(validator: Any, n: float, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    v = _number(instance)
    if v is not None and v < n:
        yield _error(f"{_fmt(v)} is not greater or equal to {_fmt(n)}")


def _maximum(validator: Any, n: float, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    v = _number(instance)
    if v is not None and v > n:
        yield _error(f"{_fmt(v)} is not less or equal to {_fmt(n)}")


def _min_items(validator: Any, n: int, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, list) and len(instance) < n:
        yield _error(f"expected minimum item count: {n}, found: {len(instance)}")


def _max_items(validator: Any, n: int, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, list) and len(instance) > n:
        yield _error(f"expected maximum item count: {n}, found: {len(instance)}")


def _unique(validator: Any, unique: bool, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if unique and isinstance(instance, list) and not any(isinstance(x, tpl.Unknown) for x in instance):
        seen = [json.dumps(x, sort_keys=True, default=str) for x in instance]
        if len(set(seen)) != len(seen):
            yield _error("array items are not unique")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """draft-07 patternProperties with the `regex` dialect: registry schemas use Unicode classes (\\p{L}) that `re` refuses."""
    if not isinstance(instance, dict):
        return
    for pattern, subschema in patterns.items():
        compiled = _compiled(pattern)
        for key, value in instance.items():
            if compiled is not None and compiled.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional(validator: Any, extra: Any, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if not isinstance(instance, dict) or extra is True:
        return
    known = set(schema.get("properties", {}))
    patterns = [_compiled(p) for p in schema.get("patternProperties", {})]
    for key, value in instance.items():
        if key in known or any(c is not None and c.search(key) for c in patterns):
            continue
        if extra is False:
            yield _error(f"extraneous key [{key}] is not permitted")
        else:
            yield from validator.descend(value, extra, path=key)


def _required(validator: Any, required: list[str], instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, dict):
        for key in required:
            if key not in instance:
                yield _error(f"required key [{key}] not found")


def _dependencies(validator: Any, deps: Any, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if not isinstance(instance, dict):
        return
    for key, dep in deps.items():
        if key not in instance:
            continue
        if isinstance(dep, list):
            for other in dep:
                if other not in instance:
                    yield _error(f"property [{other}] is required")
        else:
            yield from validator.descend(instance, dep)


def _matches(validator: Any, instance: Any, subschema: Any) -> bool:
    return next(validator.descend(instance, subschema), None) is None


def _one_of(validator: Any, subschemas: list[Any], instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, tpl.Unknown):
        return
    n = sum(_matches(validator, instance, s) for s in subschemas)
    if n == 0:
        yield _error(f"#: 0 subschemas matched instead of one")  # noqa: F541 - everit's text
    elif n > 1:
        yield _error(f"#: only 1 subschema matches out of {n}")


def _any_of(validator: Any, subschemas: list[Any], instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if not isinstance(instance, tpl.Unknown) and not any(_matches(validator, instance, s) for s in subschemas):
        yield _error(f"#: no subschema matched out of the total {len(subschemas)} subschemas")


def _not(validator: Any, subschema: Any, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if not isinstance(instance, tpl.Unknown) and _matches(validator, instance, subschema):
        yield _error("subject must not be valid against schema")


def _ignored(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    return iter(())


_Validator = validators.extend(Draft7Validator, validators={
    "type": _type, "enum": _enum, "const": _const, "pattern": _pattern, "minLength": _min_length, "maxLength": _max_length,
    "minimum": _minimum, "maximum": _maximum, "minItems": _min_items, "maxItems": _max_items, "uniqueItems": _unique,
    "additionalProperties": _additional, "patternProperties": _pattern_properties, "required": _required, "dependencies": _dependencies, "oneOf": _one_of,
    "anyOf": _any_of, "not": _not, "format": _ignored,
    # Not in registry schemas' draft-07 meaning, or unused by them: never a refusal of ours.
    "exclusiveMinimum": _ignored, "exclusiveMaximum": _ignored, "propertyNames": _ignored, "contains": _ignored,
})


@dataclass(frozen=True)
class Violation:
    path: str  # "#/VersioningConfiguration/Status", "#" for the properties object itself
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def pointer(self) -> str:
        """The path below the properties object, naming the key an extraneous/required-key violation is about."""
        m = re.match(r"(extraneous|required) key \[(.+?)\]", self.message)
        return self.path[1:] + (f"/{m.group(2)}" if m else "")


@functools.cache
def _validator(resource_type: str) -> Any:
    s = schema(resource_type)
    doc = {k: v for k, v in s.items() if k in ("properties", "definitions", "additionalProperties", "required", "dependencies",
                                                 "oneOf", "anyOf", "allOf", "patternProperties")}
    doc["type"] = "object"
    return _Validator(doc)


def is_validated(resource_type: str) -> bool:
    """Custom resources and SAM's types (transformed away before this point) have no registry schema."""
    return not (resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"
                or resource_type.startswith("AWS::Serverless::"))


@functools.cache
def is_known(resource_type: str) -> bool:
    """Whether the type exists in the registry (custom resources and SAM's types always do)."""
    if not is_validated(resource_type):
        return True
    from cfnlint.schema._exceptions import ResourceNotFoundError

    try:
        schema(resource_type)
    except ResourceNotFoundError:
        return False
    return True


def violations(resource_type: str, props: dict[str, Any]) -> list[Violation]:
    """Every way `props` breaks the type's registry schema (values not known yet satisfy everything)."""
    if not is_validated(resource_type):
        return []
    found = []
    for error in _validator(resource_type).iter_errors(props):
        path = "#" + "".join(f"/{p}" for p in error.absolute_path)
        found.append(Violation(path, error.message))
    return sorted(set(found), key=lambda v: (v.path, v.message))


def message(found: list[Violation]) -> str:
    return str(found[0]) if len(found) == 1 else "[" + ", ".join(str(v) for v in found) + "]"


def resource_reason(logical_id: str, found: list[Violation]) -> str:
    """The resource handler's status reason for properties that fail their schema."""
    return f"Properties validation failed for resource {logical_id} with message: {message(found)}"
