"""moto's core: each service model is loaded once, however many requests arrive at the same time.

moto 5.2.5 caches `get_service_model` with functools.cache, which does not stop concurrent first calls: when a
stack operation creates resources in parallel, every request that arrives before the first load finishes
parses the same botocore JSON model again (measured: half the local cloud's busy time in a parallel deploy of
the baseline went to re-parsing models). A lock makes the first load the only one. Not an AWS behaviour; the
answers are unchanged.
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


def install(plane: DataPlane) -> None:
    import moto.core.responses
    import moto.core.routing
    import moto.core.utils

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
