"""The AWS query protocol, both ways, driven by botocore's service model.

botocore serialises requests and parses responses for clients; nothing in it (or in moto) serves a
query-protocol API from a model, so the two small walkers below do that: requests are read from the
flat `A.member.1.B=...` form into the input shape, results are written as XML from the output shape.
Driving both from the model means every field SAM CLI or boto3 reads is named as AWS names it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

_session = botocore.session.get_session()


def service_model(name: str) -> ServiceModel:
    return _session.get_service_model(name)


def parse_request(op: OperationModel, form: dict[str, str]) -> dict[str, Any]:
    shape = op.input_shape
    return _read_struct(shape, "", form) if shape else {}


def _read(shape: Shape, key: str, form: dict[str, str]) -> Any:
    if isinstance(shape, StructureShape):
        return _read_struct(shape, key + ".", form) or None
    if isinstance(shape, ListShape):
        base = key if shape.serialization.get("flattened") else key + ".member"
        out, i = [], 1
        while any(k == f"{base}.{i}" or k.startswith(f"{base}.{i}.") for k in form):
            out.append(_read(shape.member, f"{base}.{i}", form))
            i += 1
        if not out and key in form and form[key] == "":
            return []
        return out if out else None
    if isinstance(shape, MapShape):
        entries: dict[str, Any] = {}
        i = 1
        while f"{key}.entry.{i}.key" in form:
            entries[form[f"{key}.entry.{i}.key"]] = _read(shape.value, f"{key}.entry.{i}.value", form)
            i += 1
        return entries or None
    raw = form.get(key)
    if raw is None:
        return None
    if shape.type_name == "boolean":
        return raw.lower() == "true"
    if shape.type_name in ("integer", "long"):
        return int(raw)
    return raw


def _read_struct(shape: StructureShape, prefix: str, form: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        loc = member.serialization.get("name", name)
        value = _read(member, prefix + loc, form)
        if value is not None:
            out[name] = value
    return out


def _ts(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return str(value)


def _write(shape: Shape, value: Any) -> str:
    if isinstance(shape, StructureShape):
        parts: list[str] = []
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                tag = member.serialization.get("name", name)
                if isinstance(member, ListShape) and member.serialization.get("flattened"):
                    parts.extend(f"<{tag}>{_write(member.member, v)}</{tag}>" for v in value[name])
                else:
                    parts.append(f"<{tag}>{_write(member, value[name])}</{tag}>")
        return "".join(parts)
    if isinstance(shape, ListShape):
        tag = shape.member.serialization.get("name", "member")
        return "".join(f"<{tag}>{_write(shape.member, v)}</{tag}>" for v in value)
    if isinstance(shape, MapShape):
        return "".join(
            f"<entry><key>{escape(str(k))}</key><value>{_write(shape.value, v)}</value></entry>" for k, v in value.items()
        )
    if shape.type_name == "boolean":
        return "true" if value else "false"
    if shape.type_name == "timestamp":
        return _ts(value)
    return escape(str(value))


def write_response(model: ServiceModel, op: OperationModel, result: dict[str, Any], request_id: str) -> str:
    ns = model.metadata.get("xmlNamespace", "")
    body = ""
    if op.output_shape is not None:
        wrapper = op.output_shape.serialization.get("resultWrapper", f"{op.name}Result")
        body = f"<{wrapper}>{_write(op.output_shape, result)}</{wrapper}>"
    return (
        f'<{op.name}Response xmlns="{ns}">{body}'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{op.name}Response>"
    )


def write_error(code: str, message: str, request_id: str, sender: bool = True) -> str:
    kind = "Sender" if sender else "Receiver"
    return (
        f'<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>{kind}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
