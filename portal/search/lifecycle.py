"""Keeping the index current: the one entry point for writers, and the background catch-up.

A writer that committed editions or themes calls `content_changed(session)`: the index is
brought up to the database at once (diff-based, so an unchanged edition costs nothing). A
worker whose host's index fell behind writes made on another host notices it at most once
every CONTENT_CHECK_SECONDS, in a request hook, and catches up in a thread of its own
(`catch_up.notice`); the request itself never waits on the index.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, request
from sqlalchemy import exc
from sqlalchemy.orm import Session

from portal import revision
from portal.db import get_engine
from portal.search import adapter, catch_up

log = logging.getLogger(__name__)

_CHECKED_AT = "portal.search.checked_at"


def content_changed(session: Session) -> tuple[list[str], list[str]]:
    """Bring the index up to the database after a commit that changed editions or themes.

    Return the slugs re-indexed and removed; build the index when there is none. Raise
    IndexBusy, with what to run later, when another process holds the writer lock too long.
    """
    try:
        return adapter.update_index(session)
    except adapter.IndexBusy as error:
        raise adapter.IndexBusy(f"{error}; run `flask index update` when it is done.") from None


def init_app(app: Flask) -> None:
    """Have each worker look, now and then before a request, whether its index is behind."""
    app.before_request(_catch_up_when_behind)


def _catch_up_when_behind() -> None:
    """Start the background catch-up when the database moved past this host's index."""
    if request.endpoint in (None, "static"):
        return
    app = current_app
    now = time.monotonic()
    interval = float(app.config["CONTENT_CHECK_SECONDS"])
    checked_at: float | None = app.extensions.get(_CHECKED_AT)
    if checked_at is not None and now - checked_at < interval:
        return
    app.extensions[_CHECKED_AT] = now
    try:
        # A connection of its own: the request's session is left without a transaction.
        with Session(get_engine()) as session:
            number = revision.current(session)
    except exc.SQLAlchemyError as error:
        log.debug("index catch-up check skipped: %s", error)
        return  # the database is out of reach: the request's own handling reports it
    catch_up.notice(number)
