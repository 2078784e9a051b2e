"""Templates as CloudFormation reads them: parsing, transforms, parameters, conditions, rules, intrinsics.

The transforms are the real ones, run offline: `AWS::LanguageExtensions` through the SAM CLI's
implementation (samcli.lib.cfn_language_extensions) and `AWS::Serverless-2016-10-31` through
aws-sam-translator, the library CloudFormation's own SAM transform is built from.
"""

from __future__ import annotations

import base64
import copy
import functools
import ipaddress
import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..rules import ALL_TYPES
from ..rules import rule as declare
from .errors import ValidationError

NULL_VALUE = declare("template-null", "schema", ALL_TYPES, "a null value anywhere in a template",
                  "CloudFormation's template validation: \"Template format error: [/Resources/X/Properties/Y] 'null' values are not allowed in templates\"")

NO_VALUE = object()


class Unknown:
    """A value CloudFormation knows only after a resource is created or updated (change-set time)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"{{{{unknown {self.what}}}}}"


PSEUDO = ("AWS::AccountId", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::Partition", "AWS::URLSuffix",
          "AWS::NoValue", "AWS::NotificationARNs")


@functools.cache
def _yaml_loader() -> Any:
    """The SAM CLI's CloudFormation YAML reading (samcli.yamlhelper.yaml_parse: short-form intrinsics, ordered
    mappings, timestamps kept as strings), its own constructors on libyaml's parser instead of PyYAML's pure-Python
    one (CSafeLoader: the same YAML 1.1 documents, about ten times faster; py-spy had a tenth of a local deploy's CPU
    in the pure-Python parser)."""
    import yaml
    from samcli.yamlhelper import _dict_constructor, intrinsics_multi_constructor

    # Any: the base is chosen at run time (PyYAML built without libyaml has only the pure-Python SafeLoader: the same, slower)
    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.yaml_constructors["tag:yaml.org,2002:str"])
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _dict_constructor)
    Loader.add_multi_constructor("!", intrinsics_multi_constructor)
    return Loader


def yaml_parse(body: str) -> Any:
    """A template's text as samcli.yamlhelper.yaml_parse reads it (JSON first, then CloudFormation YAML), on libyaml."""
    import yaml

    try:  # JSON first, as yaml_parse does (a JSON template is read by the JSON parser, with its key order)
        return json.loads(body, object_pairs_hook=OrderedDict)
    except ValueError:
        return yaml.load(body, Loader=_yaml_loader())  # a SafeLoader, with CloudFormation's tags only


def parse(body: str) -> dict[str, Any]:
    # A copy of the template last read from the same text: a change set and its execution, and every update that
    # keeps a layer's template, read the same body again (a copy costs a twentieth of a parse).
    return copy.deepcopy(_parse(body))


@functools.lru_cache(maxsize=64)
def _parse(body: str) -> dict[str, Any]:
    try:
        template = yaml_parse(body)
    except Exception as error:
        raise ValidationError(f"Template format error: not valid JSON or YAML ({error})") from error
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict) or not template["Resources"]:
        raise ValidationError("Template format error: At least one Resources member must be defined.")
    # CloudFormation refuses a null anywhere in a template, at validation, before any resource exists:
    # "Template format error: [/Resources/X/Properties/Y] 'null' values are not allowed in templates".
    null = _first_null(template, "")
    if null is not None:
        raise ValidationError(f"Template format error: [{null}] 'null' values are not allowed in templates")
    return template


def _first_null(node: Any, path: str) -> str | None:
    if node is None:
        return path or "/"
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found = _first_null(value, f"{path}/{key}")
        if found is not None:
            return found
    return None


def transforms(template: dict[str, Any]) -> list[str]:
    value = template.get("Transform", [])
    return [value] if isinstance(value, str) else list(value)


@functools.cache
def _translator_session(region: str) -> Any:
    """The session the SAM translator is given: it reads only its region name (the ARN generator's region, the
    AWS::Region and AWS::Partition pseudo parameters), so one per region, made once, instead of a boto3 session (its
    configuration read, a botocore session made) for every template translated."""
    import boto3

    return boto3.Session(region_name=region)


def apply_transforms(template: dict[str, Any], params: dict[str, str], pseudo: dict[str, str]) -> dict[str, Any]:
    out = copy.deepcopy(template)
    for name in transforms(template):
        if name == "AWS::LanguageExtensions":
            out = _language_extensions(out, params, pseudo)
        elif name == "AWS::Serverless-2016-10-31":
            from samtranslator.model.exceptions import InvalidDocumentException
            from samtranslator.parser.parser import Parser
            from samtranslator.translator.translator import Translator

            out["Transform"] = name
            try:
                out = Translator({}, Parser(), boto_session=_translator_session(pseudo["AWS::Region"])).translate(sam_template=out, parameter_values=dict(params))
            except InvalidDocumentException as error:
                causes = "; ".join(str(c) for c in error.causes)
                raise ValidationError(f"Transform AWS::Serverless-2016-10-31 failed with: {causes}") from error
        else:
            raise ValidationError(f"Transform {name} is not supported by the local cloud")
        out.pop("Transform", None)
    out.pop("Transform", None)
    return out


def _language_extensions(template: dict[str, Any], params: dict[str, str], pseudo: dict[str, str]) -> dict[str, Any]:
    """Fn::ForEach through the SAM CLI's implementation; intrinsic DeletionPolicy/UpdateReplacePolicy here.

    Only the template-shaping parts run before deploy. The SAM CLI's full pipeline also "partially resolves"
    intrinsics in properties and, in 1.170.0, turns a Fn::Sub it cannot finish into a plain string
    ("${Bucket.Arn}/*" reached a bucket policy verbatim); Fn::Length and Fn::ToJsonString are resolved with
    every other intrinsic at deploy time instead (Context.resolve).
    """
    from samcli.lib.cfn_language_extensions.api import create_default_intrinsic_resolver
    from samcli.lib.cfn_language_extensions.models import PseudoParameterValues, TemplateProcessingContext
    from samcli.lib.cfn_language_extensions.pipeline import ProcessingPipeline
    from samcli.lib.cfn_language_extensions.processors import ForEachProcessor, TemplateParsingProcessor

    context = TemplateProcessingContext(
        fragment=copy.deepcopy(template), parameter_values=dict(params),
        pseudo_parameters=PseudoParameterValues(region=pseudo["AWS::Region"], account_id=pseudo["AWS::AccountId"],
                                                stack_id=pseudo["AWS::StackId"], stack_name=pseudo["AWS::StackName"]))
    try:
        out = ProcessingPipeline([TemplateParsingProcessor(), ForEachProcessor(intrinsic_resolver=create_default_intrinsic_resolver(context))]
                                 ).process_template(context)
    except Exception as error:
        raise ValidationError(f"Transform AWS::LanguageExtensions failed with: {error}") from error
    ctx = Context(template=out, params={k: parameter_value((out.get("Parameters") or {}).get(k, {}), v) for k, v in params.items()},
                  pseudo=pseudo)
    ctx.evaluate_conditions()
    for logical_id, res in (out.get("Resources") or {}).items():
        for key in ("DeletionPolicy", "UpdateReplacePolicy"):
            if isinstance(res.get(key), dict):
                value = ctx.resolve(res[key])
                if value not in ("Delete", "Retain", "Snapshot", "RetainExceptOnCreate"):
                    raise ValidationError(f"Transform AWS::LanguageExtensions failed with: {key} of {logical_id} resolved to {value!r}, "
                                          "not Delete, Retain, RetainExceptOnCreate or Snapshot")
                res[key] = value
    return out


# ---------------------------------------------------------------- parameters


def resolve_parameters(template: dict[str, Any], given: dict[str, str | None], previous: dict[str, str]) -> dict[str, str]:
    """`given` maps a key to a value, or to None for UsePreviousValue."""
    declared = template.get("Parameters", {}) or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ValidationError(f"Parameters: {unknown} do not exist in the template")
    out: dict[str, str] = {}
    missing = []
    for key, spec in declared.items():
        if key in given:
            value = given[key] if given[key] is not None else previous.get(key)
        else:
            value = spec.get("Default")
            value = None if value is None else str(value) if not isinstance(value, list) else ",".join(map(str, value))
        if value is None:
            missing.append(key)
            continue
        _check_parameter(key, spec, str(value))
        out[key] = str(value)
    if missing:
        raise ValidationError(f"Parameters: [{', '.join(missing)}] must have values")
    return out


def _check_parameter(key: str, spec: dict[str, Any], value: str) -> None:
    hint = spec.get("ConstraintDescription")

    def fail(what: str) -> None:
        raise ValidationError(f"Parameter '{key}' {what}" + (f": {hint}" if hint else ""))

    kind = spec.get("Type", "String")
    values = value.split(",") if kind.startswith("List<") or kind == "CommaDelimitedList" else [value]
    for v in values:
        if "AllowedValues" in spec and v not in [str(a) for a in spec["AllowedValues"]]:
            fail(f"must be one of AllowedValues, got '{v}'")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], v):
            fail(f"failed to satisfy constraint: must match pattern {spec['AllowedPattern']}")
        if "MinLength" in spec and len(v) < int(spec["MinLength"]):
            fail(f"must contain at least {spec['MinLength']} characters")
        if "MaxLength" in spec and len(v) > int(spec["MaxLength"]):
            fail(f"must contain at most {spec['MaxLength']} characters")
        if kind == "Number":
            try:
                number = float(v)
            except ValueError:
                fail(f"must be a number, got '{v}'")
                return
            if "MinValue" in spec and number < float(spec["MinValue"]):
                fail(f"must be at least {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                fail(f"must be at most {spec['MaxValue']}")


def parameter_value(spec: dict[str, Any], value: str) -> Any:
    kind = spec.get("Type", "String")
    if kind == "CommaDelimitedList" or kind.startswith("List<"):
        return [] if value == "" else value.split(",")
    return value


# ---------------------------------------------------------------- evaluation


@dataclass
class Context:
    template: dict[str, Any]
    params: dict[str, Any]
    pseudo: dict[str, Any]
    # logical id -> (physical id or Unknown, attribute getter)
    resource: Callable[[str], tuple[Any, Callable[[str], Any]]] = field(default=lambda _id: (Unknown(_id), lambda a: Unknown(a)))
    import_value: Callable[[str], Any] = field(default=lambda name: Unknown(name))
    get_azs: Callable[[str], list[str]] = field(default=lambda region: [])
    conditions: dict[str, bool] = field(default_factory=dict)

    def evaluate_conditions(self) -> None:
        defs = self.template.get("Conditions", {}) or {}
        state: dict[str, bool | None] = {}

        def cond(name: str) -> bool:
            if name not in defs:
                raise ValidationError(f"Template error: unresolved condition dependency {name}")
            if state.get(name) is None:
                if name in state:
                    raise ValidationError(f"Template error: condition {name} depends on itself")
                state[name] = None
                state[name] = bool(self._condition(defs[name], cond))
            return bool(state[name])

        for name in defs:
            cond(name)
        self.conditions = {k: bool(v) for k, v in state.items()}

    def _condition(self, node: Any, cond: Callable[[str], bool]) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Condition":
                return cond(arg)
            if fn == "Fn::Equals":
                a, b = (self._condition(x, cond) for x in arg)
                return str(a) == str(b)
            if fn == "Fn::And":
                return all(self._condition(x, cond) for x in arg)
            if fn == "Fn::Or":
                return any(self._condition(x, cond) for x in arg)
            if fn == "Fn::Not":
                return not self._condition(arg[0], cond)
        return self.resolve(node)

    def condition(self, name: str | None) -> bool:
        return True if name is None else self.conditions[name]

    # -- intrinsics
    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.resolve(x) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (fn, arg), = node.items()
            handler = _FUNCTIONS.get(fn)
            if handler is not None:
                return handler(self, arg)
        out = {}
        for k, v in node.items():
            r = self.resolve(v)
            if r is not NO_VALUE:
                out[k] = r
        return out

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        if name in (self.template.get("Resources") or {}):
            return self.resource(name)[0]
        raise ValidationError(f"Template format error: Unresolved resource dependencies [{name}] in the Resources block of the template")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in (self.template.get("Resources") or {}):
            raise ValidationError(f"Template error: instance of Fn::GetAtt references undefined resource {logical_id}")
        return self.resource(logical_id)[1](attribute)


def _is_unknown(v: Any) -> bool:
    return isinstance(v, Unknown) or (isinstance(v, list) and any(_is_unknown(x) for x in v))


def _fn_ref(ctx: Context, arg: Any) -> Any:
    return ctx.ref(ctx.resolve(arg))


def _fn_getatt(ctx: Context, arg: Any) -> Any:
    if isinstance(arg, str):
        logical_id, _, attribute = arg.partition(".")
    else:
        logical_id, attribute = arg[0], ctx.resolve(arg[1])
    return ctx.get_att(logical_id, attribute)


_SUB = re.compile(r"\$\{([^}]+)\}")


def _fn_sub(ctx: Context, arg: Any) -> Any:
    text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], {k: ctx.resolve(v) for k, v in arg[1].items()})
    unknown: list[Unknown] = []

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in extra:
            value = extra[name]
        elif "." in name and name.split(".", 1)[0] in (ctx.template.get("Resources") or {}):
            logical_id, attribute = name.split(".", 1)
            value = ctx.get_att(logical_id, attribute)
        else:
            value = ctx.ref(name)
        if isinstance(value, list):
            # A list (a CommaDelimitedList or List<> parameter, Fn::GetAZs) cannot be substituted: CloudFormation
            # refuses the template ("Template validation error: Template error: variable pValues in Fn::Sub
            # expression does not resolve to a string", quoted in aws-cloudformation/cfn-lint#390).
            raise ValidationError(f"Template error: variable {name} in Fn::Sub expression does not resolve to a string")
        if _is_unknown(value):
            unknown.append(Unknown(name))
            return ""
        return str(value)

    result = _SUB.sub(repl, text)
    return Unknown(f"Sub {text}") if unknown else result


def _fn_join(ctx: Context, arg: Any) -> Any:
    sep, items = ctx.resolve(arg[0]), ctx.resolve(arg[1])
    if _is_unknown(items):
        return Unknown("Join")
    return sep.join(str(i) for i in items)


def _fn_select(ctx: Context, arg: Any) -> Any:
    index, items = int(ctx.resolve(arg[0])), ctx.resolve(arg[1])
    if isinstance(items, Unknown):
        return Unknown("Select")
    if not isinstance(items, list) or not 0 <= index < len(items):
        raise ValidationError(f"Template error: Fn::Select cannot select nonexistent value at index {index}")
    return items[index]


def _fn_split(ctx: Context, arg: Any) -> Any:
    sep, text = arg[0], ctx.resolve(arg[1])
    return Unknown("Split") if isinstance(text, Unknown) else str(text).split(sep)


def _fn_if(ctx: Context, arg: Any) -> Any:
    return ctx.resolve(arg[1] if ctx.conditions[arg[0]] else arg[2])


def _fn_findinmap(ctx: Context, arg: Any) -> Any:
    name, top, second = (ctx.resolve(a) for a in arg[:3])
    try:
        return copy.deepcopy(ctx.template["Mappings"][name][top][second])
    except (KeyError, TypeError):
        if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
            return ctx.resolve(arg[3]["DefaultValue"])
        raise ValidationError(f"Template error: Unable to get mapping for {name}::{top}::{second}") from None


def _fn_cidr(ctx: Context, arg: Any) -> Any:
    block, count, bits = (ctx.resolve(a) for a in arg)
    if isinstance(block, Unknown):
        return Unknown("Cidr")
    network = ipaddress.ip_network(block, strict=False)
    prefix = network.max_prefixlen - int(bits)
    subnets = list(network.subnets(new_prefix=prefix))[: int(count)]
    if len(subnets) < int(count):
        raise ValidationError(f"Template error: Fn::Cidr cannot carve {count} /{prefix} blocks out of {block}")
    return [str(s) for s in subnets]


def _fn_getazs(ctx: Context, arg: Any) -> Any:
    return ctx.get_azs(ctx.resolve(arg) or ctx.pseudo["AWS::Region"])


def _fn_base64(ctx: Context, arg: Any) -> Any:
    value = ctx.resolve(arg)
    return value if isinstance(value, Unknown) else base64.b64encode(str(value).encode()).decode()


def _fn_import(ctx: Context, arg: Any) -> Any:
    return ctx.import_value(ctx.resolve(arg))


def _fn_tojson(ctx: Context, arg: Any) -> Any:
    return json.dumps(ctx.resolve(arg), separators=(",", ":"))


def _fn_length(ctx: Context, arg: Any) -> Any:
    return len(ctx.resolve(arg))


def _fn_condition(ctx: Context, arg: Any) -> Any:
    return ctx.conditions[arg]


def _fn_equals(ctx: Context, arg: Any) -> Any:
    a, b = (ctx.resolve(x) for x in arg)
    return str(a) == str(b)


_FUNCTIONS: dict[str, Callable[[Context, Any], Any]] = {
    "Ref": _fn_ref, "Fn::GetAtt": _fn_getatt, "Fn::Sub": _fn_sub, "Fn::Join": _fn_join, "Fn::Select": _fn_select,
    "Fn::Split": _fn_split, "Fn::If": _fn_if, "Fn::FindInMap": _fn_findinmap, "Fn::Cidr": _fn_cidr,
    "Fn::GetAZs": _fn_getazs, "Fn::Base64": _fn_base64, "Fn::ImportValue": _fn_import,
    "Fn::ToJsonString": _fn_tojson, "Fn::Length": _fn_length, "Condition": _fn_condition, "Fn::Equals": _fn_equals,
    "Fn::Not": lambda ctx, a: not ctx.resolve(a[0]), "Fn::And": lambda ctx, a: all(ctx.resolve(x) for x in a),
    "Fn::Or": lambda ctx, a: any(ctx.resolve(x) for x in a),
}


def check_rules(ctx: Context) -> None:
    for name, rule in (ctx.template.get("Rules") or {}).items():
        if "RuleCondition" in rule and not ctx._condition(rule["RuleCondition"], ctx.condition):
            continue
        for assertion in rule.get("Assertions", []):
            if not ctx._condition(assertion["Assert"], ctx.condition):
                raise ValidationError(f"Template error: rule {name}: {assertion.get('AssertDescription', 'assertion failed')}")


# ---------------------------------------------------------------- dependencies


def references(node: Any, resources: set[str]) -> set[str]:
    found: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, list):
            for x in n:
                walk(x)
        elif isinstance(n, dict):
            if len(n) == 1:
                (fn, arg), = n.items()
                if fn == "Ref" and isinstance(arg, str) and arg in resources:
                    found.add(arg)
                elif fn == "Fn::GetAtt":
                    target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
                    if target in resources:
                        found.add(target)
                elif fn == "Fn::Sub":
                    text = arg if isinstance(arg, str) else arg[0]
                    for m in _SUB.finditer(text):
                        name = m.group(1).split(".", 1)[0]
                        if name in resources:
                            found.add(name)
                    if not isinstance(arg, str):
                        walk(arg[1])
                    return
            for v in n.values():
                walk(v)

    walk(node)
    return found


def dependencies(resources: dict[str, dict[str, Any]], strict: bool = True) -> dict[str, set[str]]:
    """Each resource's dependencies among `resources`. strict (a template being deployed): a DependsOn on a resource
    that is not there is a template error; otherwise (a stored template, some of whose resources never existed) it is
    ignored."""
    ids = set(resources)
    deps: dict[str, set[str]] = {}
    for logical_id, res in resources.items():
        if not isinstance(res, dict):
            continue
        # A Ref or GetAtt anywhere in the resource orders it, Metadata included (AWS::CloudFormation::Init refers to other
        # resources there); cfn-lint's dependency graph (cfnlint/graph.py, E3004) reads the whole resource the same way.
        d = references([res.get("Properties", {}), res.get("Metadata", {})], ids)
        depends = res.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            if target in ids:
                d.add(target)
            elif strict:
                raise ValidationError(f"Template format error: Unresolved resource dependencies [{target}] in the Resources block of the template")
        deps[logical_id] = d - {logical_id}
    return deps


def creation_order(resources: dict[str, dict[str, Any]]) -> list[str]:
    deps = dependencies(resources)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            raise ValidationError(f"Circular dependency between resources: {sorted(set(path))}")
        state[n] = 1
        for d in sorted(deps[n], key=list(resources).index):
            visit(d, [*path, d])
        state[n] = 2
        order.append(n)

    for n in resources:
        visit(n, [n])
    return order
