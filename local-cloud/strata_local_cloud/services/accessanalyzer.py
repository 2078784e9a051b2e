"""IAM Access Analyzer: analyzers (create, get, list, delete, tags), which moto 5.2.5 does not have.

REST-JSON as the API reference gives it (https://docs.aws.amazon.com/access-analyzer/latest/APIReference/):
CreateAnalyzer PUT /analyzer, GetAnalyzer GET /analyzer/{analyzerName}, ListAnalyzers GET /analyzer?type=,
DeleteAnalyzer DELETE /analyzer/{analyzerName}, TagResource POST /tags/{resourceArn}, UntagResource
DELETE /tags/{resourceArn}?tagKeys=. A name already taken in the region is ConflictException; an unknown one
ResourceNotFoundException; an analyzer of type ORGANIZATION needs the account to be in an organization
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-getting-started.html#access-analyzer-enabling).
Not emulated: findings, archive rules' effect, unused-access analysis, policy checks.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ..rules import rule

NAME_CONFLICT = rule(
    "accessanalyzer-name-conflict", "service", ("AWS::AccessAnalyzer::Analyzer",),
    "an analyzer name already used in the region (ConflictException), or an organization analyzer outside an organization",
    "https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CreateAnalyzer.html (Errors: ConflictException, ValidationException)")

_lock = threading.Lock()
_analyzers: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}  # (account, region) -> name -> analyzer
TYPES = {"ACCOUNT", "ORGANIZATION", "ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS", "ACCOUNT_INTERNAL_ACCESS",
         "ORGANIZATION_INTERNAL_ACCESS"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,254}$")


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, default=str), status=status, content_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    response = _json(status, {"message": message})
    response.headers["x-amzn-ErrorType"] = code
    return response


def _in_organization(account: str) -> bool:
    from ..moto_patches.organizations import management_account

    return management_account(account) is not None


def handle(request: Request, region: str, account: str) -> Response:
    path, method = request.path, request.method
    with _lock:
        store = _analyzers.setdefault((account, region), {})
        if path == "/analyzer" and method == "PUT":
            body = request.get_json(force=True, silent=True) or {}
            name, kind = str(body.get("analyzerName", "")), str(body.get("type", ""))
            if not _NAME.match(name):
                return _error(400, "ValidationException", f"Invalid analyzerName: {name!r}")
            if kind not in TYPES:
                return _error(400, "ValidationException", f"Invalid type: {kind!r}; valid: {', '.join(sorted(TYPES))}")
            if name in store:
                return _error(409, "ConflictException", f"An analyzer named {name} already exists")
            if kind.startswith("ORGANIZATION") and not _in_organization(account):
                # Wording ours: the API says the caller must be the organization's management or delegated administrator account.
                return _error(400, "ValidationException", f"An analyzer of type {kind} needs this account to be in an organization")
            arn = f"arn:aws:access-analyzer:{region}:{account}:analyzer/{name}"
            store[name] = {"arn": arn, "name": name, "type": kind, "createdAt": dt.datetime.now(dt.UTC).isoformat(), "status": "ACTIVE",
                           "tags": dict(body.get("tags") or {}), **({"configuration": body["configuration"]} if body.get("configuration") else {})}
            return _json(200, {"arn": arn})
        if path == "/analyzer" and method == "GET":
            wanted = request.args.get("type")
            return _json(200, {"analyzers": [a for a in store.values() if wanted in (None, a["type"])]})
        m = re.fullmatch(r"/analyzer/([^/]+)", path)
        if m:
            name = unquote(m.group(1))
            if name not in store:
                return _error(404, "ResourceNotFoundException", f"Analyzer {name} not found")
            if method == "GET":
                return _json(200, {"analyzer": store[name]})
            if method == "DELETE":
                del store[name]
                return _json(200, {})
        m = re.fullmatch(r"/tags/(.+)", path)
        if m:
            arn = unquote(m.group(1))
            found = next((a for a in store.values() if a["arn"] == arn), None)
            if found is None:
                return _error(404, "ResourceNotFoundException", f"Resource {arn} not found")
            if method == "POST":
                found["tags"].update((request.get_json(force=True, silent=True) or {}).get("tags") or {})
                return _json(200, {})
            if method == "DELETE":
                for key in request.args.getlist("tagKeys"):
                    found["tags"].pop(key, None)
                return _json(200, {})
            if method == "GET":
                return _json(200, {"tags": found["tags"]})
    # The local cloud implements only the operations above: anything else is refused, never answered empty.
    return _error(501, "NotImplementedError", f"the local cloud does not implement Access Analyzer {method} {path} (strata_local_cloud/services/accessanalyzer.py)")
