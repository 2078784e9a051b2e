"""services.serve: what answers a request (the local cloud's own services, or moto), and moto one request at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.test import Client

from strata_local_cloud import services


def test_moto_answers_one_request_at_a_time_and_a_request_made_inside_one_goes_through() -> None:
    """moto's models are not safe for concurrent use ("dictionary changed size during iteration" when a stack
    delete removed roles in parallel). Eight threads at once: never two inside moto; a handler's own nested request
    (the engine's in-process client, same thread) does not wait for itself."""
    inside, most = 0, 0
    guard = threading.Lock()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        try:
            if environ.get("PATH_INFO") == "/outer":  # a nested request from within a handler, same thread
                body = b"".join(Client(wsgi).get("/inner").iter_encoded())
            else:
                time.sleep(0.01)
                body = b"inner"
            start_response("200 OK", [("Content-Type", "text/plain")])
            return iter([b"answer:", body])
        finally:
            with guard:
                inside -= 1

    wsgi = services.serve(app)
    answers: list[bytes] = []

    def call(path: str) -> None:
        answers.append(b"".join(Client(wsgi).get(path).iter_encoded()))

    threads = [threading.Thread(target=call, args=("/outer" if i % 2 else "/x",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(answers) == [b"answer:answer:inner"] * 4 + [b"answer:inner"] * 4
    assert most == 2  # the outer handler and its own nested request; never two requests of different threads


def test_a_handler_that_waits_for_another_threads_request_lets_go_of_moto_while_it_waits() -> None:
    """CreateStack's pre-deployment checks ask STS over HTTP, answered by another server thread: holding moto meanwhile
    would wait for ever. Botocore's HTTP send is wrapped in `released` (install_release_on_send); so is this wait."""
    answers: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/outer":
            other = threading.Thread(target=lambda: answers.append(b"".join(Client(wsgi).get("/inner").iter_encoded())))
            other.start()
            with services.released():
                other.join(5)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    wsgi = services.serve(app)
    assert b"".join(Client(wsgi).get("/outer").iter_encoded()) == b"/outer"
    assert answers == [b"/inner"]
    with services.released():  # outside any request: nothing to let go of
        pass
