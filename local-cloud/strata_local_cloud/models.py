"""One botocore data loader per process: every botocore session made after `share_models()` reads the service
models and endpoint data through the same loader, which parses each file once.

Why: a botocore session makes its own loader, and a loader parses botocore's JSON (a service's model is up to
1.5 MB; endpoints.json 1 MB) the first time each of its sessions' clients needs it. The test processes make a
session per deployment, account and region: in a test run the pytest workers spent 23 of their 49 s of CPU making
clients, 14 s of it decoding the same JSON again. The clients of one session share what the session's loader
parsed; here the sessions of one process share it too. What a session reads is unchanged: the same files, found the
same way (a session whose `data_path` setting differs gets a loader of its own), and nothing is cached that botocore
would not cache for the life of one session. For the test processes only (the local cloud's pytest plugin).
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_installed = False


class _Paths(list[str]):
    """A loader's search paths, to which each boto3 session adds its own data directory (boto3.Session._setup_loader):
    added once, as one session's loader has it, not once per session."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def share_models(seed: Any = None) -> None:
    """From now on every botocore session of this process shares one loader per `data_path` setting; with the default
    setting, `seed` when given (a loader made as botocore.loaders.create_loader() makes it, plus boto3's data path)."""
    global _installed
    from botocore import loaders, session

    with _lock:
        if _installed:
            return
        _installed = True
    shared: dict[Any, loaders.Loader] = {}
    if seed is not None:
        seed._search_paths = _Paths(seed.search_paths)
        shared[None] = seed

    def loader_for(data_path: Any) -> loaders.Loader:
        with _lock:
            if data_path not in shared:
                made = loaders.create_loader(data_path)
                made._search_paths = _Paths(made.search_paths)  # type: ignore[attr-defined]  # the list search_paths returns
                shared[data_path] = made
            return shared[data_path]

    def register_data_loader(self: Any) -> None:  # botocore.session.Session._register_data_loader, with the shared loader
        self._components.lazy_register_component("data_loader", lambda: loader_for(self.get_config_variable("data_path")))

    session.Session._register_data_loader = register_data_loader  # type: ignore[attr-defined]
