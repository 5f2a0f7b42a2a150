"""A server the tests run on 127.0.0.1 in a thread of its own, stopped when they are done."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar


class Serving(Protocol):
    """What socketserver servers (http.server's, werkzeug's) offer for running in a thread."""

    def serve_forever(self, poll_interval: float = ...) -> None: ...
    def shutdown(self) -> None: ...
    def server_close(self) -> None: ...


S = TypeVar("S", bound=Serving)


@contextmanager
def serving(server: S) -> Iterator[S]:
    """Serve in a thread until the block ends, then stop, close the socket and join."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
