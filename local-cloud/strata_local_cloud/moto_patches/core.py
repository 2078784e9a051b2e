"""moto's core: each service model is loaded once, however many requests arrive at the same time.

moto 5.2.5 caches `get_service_model` with functools.cache, which does not stop concurrent first calls: when a
stack operation creates resources in parallel, every request that arrives before the first load finishes
parses the same botocore JSON model again (measured: half the local cloud's busy time in a parallel deploy of
the baseline went to re-parsing models). A lock makes the first load the only one. Not an AWS behaviour; the
answers are unchanged.

moto's server also finds each request's backend from its host name under one process-wide lock, and on every
request lists moto's package directory (an `isdir` per service) and tries its URL patterns in turn. The answer
depends on the host name alone, so it is kept per host: the same backend, without serialising every request
behind a directory listing (measured with py-spy: a tenth of the local cloud's samples in a deploy were there).
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..dataplane import DataPlane


def _once(load: Callable[[str], Any]) -> Callable[[str], Any]:
    lock = threading.Lock()
    done: dict[str, Any] = {}

    @functools.wraps(load)
    def get(service_name: str) -> Any:
        if service_name in done:
            return done[service_name]
        with lock:
            if service_name not in done:
                done[service_name] = load(service_name)
            return done[service_name]

    return get


def _per_host(find: Callable[[Any, str | None], Any]) -> Callable[[Any, str | None], Any]:
    found: dict[str | None, Any] = {}

    @functools.wraps(find)
    def get(self: Any, host: str | None) -> Any:
        # Read and written under moto's dispatcher lock (get_application holds it around every call).
        if host not in found:
            found[host] = find(self, host)
        return found[host]

    return get


def install(plane: DataPlane) -> None:
    import moto.core.responses
    import moto.core.routing
    import moto.core.utils
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    DomainDispatcherApplication.get_backend_for_host = _per_host(DomainDispatcherApplication.get_backend_for_host)  # type: ignore[method-assign,assignment]

    service_model = _once(moto.core.utils.get_service_model)
    pagination_model = _once(moto.core.utils.get_pagination_model)
    # Each module holds its own reference (from moto.core.utils import get_service_model): replace them all.
    for module in (moto.core.utils, moto.core.responses, moto.core.routing):
        if hasattr(module, "get_service_model"):
            module.get_service_model = service_model  # type: ignore[attr-defined]
        if hasattr(module, "get_pagination_model"):
            module.get_pagination_model = pagination_model  # type: ignore[attr-defined]


def guard(owner: type, name: str, check: Callable[..., None]) -> None:
    """Runs `check(backend, arguments)` before moto's `owner.name` (arguments by parameter name, defaults
    applied); the check raises the service's own error to refuse the call, as the service does before it acts."""
    original = getattr(owner, name)
    signature = inspect.signature(original)

    @functools.wraps(original)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        check(self, bound.arguments)
        return original(self, *args, **kwargs)

    setattr(owner, name, guarded)


def json_error(code: str, message: str, status: int = 400) -> Any:
    """A JSON-protocol service error (code, message, HTTP status) as moto's server answers it."""
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(code, message)
    error.code = status
    return error
