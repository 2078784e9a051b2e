"""The engine's own requests to the services, handed to the local cloud's WSGI application in-process.

The providers call the emulated services with boto3 clients, as CloudFormation's handlers call AWS: every request is
signed, serialised and parsed by botocore, and answered by the same application that answers the SAM CLI and the
functions. Over loopback HTTP each of those requests also crossed a socket twice and a server thread (py-spy: about a
fifth of a local cloud's CPU in a deploy was the HTTP client, the socket server and werkzeug's request parsing). Here a
client made for the local cloud's own URL gives the request to the application directly (botocore's `before-send`
event: a handler that returns a response stands in for the HTTP round trip, the way botocore's own stubbing works),
with the environ werkzeug's test builder makes from the same method, URL, headers and body. What the services see and
answer is unchanged; requests from anything else (the SAM CLI, the functions, tools) still arrive over HTTP.
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from typing import Any

App = Callable[..., Iterable[bytes]]

# The local cloud's URL and its WSGI application, set by the server before it serves (__main__.serve).
_target: tuple[str, App] | None = None


def serve_in_process(url: str, app: App) -> None:
    global _target
    _target = (url.rstrip("/"), app)


class _Body(io.BytesIO):
    """The response body as botocore reads it from urllib3: whole (`stream`) or in parts (`read`, StreamingBody)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def _send(request: Any, **_: Any) -> Any:
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    assert _target is not None
    parts = urllib.parse.urlsplit(request.url)
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    sent = [(k, v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()]
    environ = EnvironBuilder(path=urllib.parse.unquote(parts.path) or "/", base_url=f"{parts.scheme}://{parts.netloc}",
                             query_string=parts.query, method=request.method, headers=sent, data=body or b"").get_environ()
    environ["RAW_URI"] = environ["REQUEST_URI"] = parts.path + (f"?{parts.query}" if parts.query else "")
    chunks, status, response_headers = run_wsgi_app(_target[1], environ, buffered=True)  # read whole, then closed
    content = b"".join(chunks)
    headers = HTTPHeaders.from_pairs(response_headers.to_wsgi_list())  # as botocore's own transport hands them over
    return AWSResponse(request.url, int(status.split(" ", 1)[0]), headers, _Body(content))


def attach(client: Any, endpoint: str) -> None:
    """Sends `client`'s requests to the local cloud's application in-process when `endpoint` is this local cloud."""
    if _target is not None and endpoint.rstrip("/") == _target[0]:
        client.meta.events.register_first("before-send", _send)
