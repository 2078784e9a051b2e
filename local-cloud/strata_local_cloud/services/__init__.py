"""Services moto 5.2.5 does not have at all, served by the local cloud itself beside moto's server.

`serve(app, plane)` wraps moto's WSGI application: a request signed for one of these services (the SigV4 credential
scope names the service) is answered here, everything else goes to moto. Each service implements the operations
the templates' resources use; any other operation is refused loudly (HTTP 501 naming it),
never answered with an empty success.

One path is the local cloud's own, no AWS API: `GET /_strata/dataplane` answers where the data plane serves what
was deployed (each load balancer listener and database, by its AWS host name and port, on a loopback port) and
the local CA's certificate file, so tools can open the application URL and log in to the database locally.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from ..dataplane import DataPlane

from . import accessanalyzer

Handler = Callable[[Request, str, str], Any]  # (request, region, account) -> werkzeug Response
SERVICES: dict[str, Handler] = {"access-analyzer": accessanalyzer.handle}


def _scope(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(service, region) from the SigV4 Authorization header: Credential=<key>/<date>/<region>/<service>/aws4_request."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        _, _, region, service, _ = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    except (IndexError, ValueError):
        return None
    return service, region


def _account(environ: dict[str, Any]) -> str:
    """The caller's account, as moto decides it: by the access key (STS AssumeRole keys belong to the role's account)."""
    from moto.iam.models import get_account_id_from

    auth = environ.get("HTTP_AUTHORIZATION", "")
    key = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
    return get_account_id_from(key)


DATAPLANE_PATH = "/_strata/dataplane"


def serve(app: Callable[..., Iterable[bytes]], plane: DataPlane | None = None) -> Callable[..., Iterable[bytes]]:
    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if plane is not None and environ.get("PATH_INFO") == DATAPLANE_PATH and environ.get("REQUEST_METHOD") == "GET":
            with plane.lock:
                body = {"routes": dict(plane.routes), "unavailable": dict(plane.unavailable), "ca": str(plane.pki.ca_file),
                        "routesFile": str(plane.routes_file)}
            return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
        scope = _scope(environ)
        if scope and scope[0] in SERVICES:
            response = SERVICES[scope[0]](Request(environ), scope[1], _account(environ))
            return response(environ, start_response)
        return app(environ, start_response)

    return wsgi
