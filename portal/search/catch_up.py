"""Each host's search index catching up by itself with what another host imported.

Several hosts share one database and each keeps its own index. Every worker asks the
database for the content revision at most once every CONTENT_CHECK_SECONDS (a request hook,
`portal.search.lifecycle`); when that revision is ahead of the one the host's index
records, the worker brings the index up to date in a thread of its own, from the
database, as `flask index update` does. Requests never wait for it, and searches keep
answering from the old complete index until Whoosh's commit makes the new one live. The
index's writer lock (a file lock) lets one process of the host write at a time; whoever
gets it second finds the index already at the revision and does nothing. A host without
an index, or with one of another schema version, is left to `flask index rebuild`.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from portal.db import get_session
from portal.search import adapter

log = logging.getLogger(__name__)

_EXTENSION = "portal.catch_up"
# After a failed catch-up (index busy for a minute, database gone), wait this long before
# the next try, so a lasting problem is logged twice a minute rather than every second.
RETRY_AFTER_FAILURE_SECONDS = 30.0


class _State:
    """One catch-up at a time per worker, and a pause after a failure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self._failed_at: float | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> bool:
        """Return whether a catch-up may start now (none running, no recent failure)."""
        with self._lock:
            if self._running or (
                self._failed_at is not None
                and time.monotonic() - self._failed_at < RETRY_AFTER_FAILURE_SECONDS
            ):
                return False
            self._running = True
            return True

    def finish(self, *, failed: bool) -> None:
        """Note the end of a catch-up."""
        with self._lock:
            self._running = False
            self._failed_at = time.monotonic() if failed else None


def notice(database_revision: int) -> threading.Thread | None:
    """Start catching the index up in the background if it is behind; return the thread."""
    if not adapter.index_behind(database_revision):
        return None
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state: _State = app.extensions.setdefault(_EXTENSION, _State())
    if not state.start():
        return None
    worker = threading.Thread(target=_run, args=(app, state), name="index-catch-up", daemon=True)
    state.thread = worker
    worker.start()
    return worker


def wait(app: Flask, timeout: float = 30.0) -> None:
    """Wait for the app's catch-up thread, if one runs (before its engine is disposed)."""
    state: _State | None = app.extensions.get(_EXTENSION)
    if state is not None and state.thread is not None:
        state.thread.join(timeout)


def _run(app: Flask, state: _State) -> None:
    failed = True
    try:
        with app.app_context():
            changed, removed = adapter.catch_up(get_session())
        failed = False
        if changed or removed:
            log.info(
                "search index caught up: %d re-indexed, %d removed", len(changed), len(removed)
            )
    except Exception:  # a thread of its own: log it, the next check tries again
        log.exception("search index catch-up failed")
    finally:
        state.finish(failed=failed)
