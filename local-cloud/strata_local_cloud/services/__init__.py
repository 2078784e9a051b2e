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

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
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


# moto's models are not safe for concurrent use: a request iterating a backend's dict while another thread adds to
# it or deletes from it fails with "dictionary changed size during iteration" (a stack delete's parallel role
# deletions did: the role failed to delete, the stack ended DELETE_FAILED). Requests reach moto from the server's
# threads and from the engine's (in-process, inprocess.py) at once, so moto answers one at a time; each answer is read
# whole inside. Reentrant: a handler's own in-process request (same thread) goes through. A handler that sends a
# request over HTTP (CreateStack's pre-deployment checks ask STS for an account's keys) lets go while it waits, or it
# would wait for a server thread waiting for it: `released`, around botocore's send (install_release_on_send).
MOTO = threading.RLock()


@contextlib.contextmanager
def released() -> Iterator[None]:
    """MOTO let go entirely for the duration, if this thread holds it, and taken back as it was held."""
    # RLock's _is_owned/_release_save/_acquire_restore: what threading.Condition uses to do the same
    lock: Any = MOTO
    if not lock._is_owned():
        yield
        return
    state = lock._release_save()
    try:
        yield
    finally:
        lock._acquire_restore(state)


def install_release_on_send() -> None:
    """Every request botocore sends over HTTP from this process lets go of MOTO while it is in flight."""
    from botocore.endpoint import Endpoint

    original = getattr(Endpoint, "_send")  # noqa: B009 - private in botocore's stubs; the one method that sends over HTTP

    def send(self: Any, request: Any) -> Any:
        with released():
            return original(self, request)

    setattr(Endpoint, "_send", send)  # noqa: B010


def serve(app: Callable[..., Iterable[bytes]], plane: DataPlane | None = None) -> Callable[..., Iterable[bytes]]:
    def moto(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with MOTO:
            chunks = app(environ, start_response)
            try:
                return [b"".join(chunks)]
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

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
        return moto(environ, start_response)

    return wsgi
