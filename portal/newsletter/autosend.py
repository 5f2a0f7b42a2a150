"""Autosend: an edition `flask editions sync` sees on the feed's first page for the first time.

PORTAL_NEWSLETTER_AUTOSEND `draft` lists it as ready; `send` schedules it
PORTAL_NEWSLETTER_DELAY minutes later, for `flask newsletter send --due` (run by the same
timer as `sync`). Never mailed by itself: an edition from an export, a folder or the feed's
back pages, one that already existed, and one published before autosend was turned on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import get_session, write_transaction
from portal.logs import private_logger
from portal.models import AutosendState, Edition
from portal.newsletter.sends import ensure_send, utc_now

log = private_logger(__name__)


@contextmanager
def feed_first_page(slugs: Sequence[str]) -> Iterator[None]:
    """Around a sync's import: list or schedule the editions of the feed's first page it adds."""
    mode = current_app.config["NEWSLETTER_AUTOSEND"]
    if mode == "off":
        yield
        return
    since = _autosend_since()
    newest = get_session().scalar(select(func.max(Edition.id))) or 0
    get_session().rollback()
    yield
    if since is not None:
        plan(slugs, newest, since, mode)


def _autosend_since() -> dt.datetime | None:
    """Return when a sync first saw autosend on; None (and remember now) on that first sync."""
    with write_transaction() as session:
        state = session.get(AutosendState, 1)
        if state is not None:
            return state.since
        session.add(AutosendState(id=1, since=utc_now(session)))
        # Everything this first sync finds was published before autosend could know of it.
        return None


def plan(slugs: Sequence[str], newest_before: int, since: dt.datetime, mode: str) -> list[str]:
    """Give each edition the sync added (id above `newest_before`) a draft or scheduled send."""
    delay = dt.timedelta(minutes=int(current_app.config["NEWSLETTER_DELAY"]))
    planned: list[str] = []
    with write_transaction() as session:
        for edition in _added(session, slugs, newest_before):
            if edition.date is None or edition.date < since.date():
                continue  # published before autosend was on (or undated): never by itself
            due = utc_now(session) + delay if mode == "send" else None
            state = "scheduled" if mode == "send" else "draft"
            ensure_send(session, edition.id, state=state, origin="autosend", due_at=due)
            planned.append(edition.slug)
    _announce(planned, mode, delay)
    return planned


def _announce(planned: Sequence[str], mode: str, delay: dt.timedelta) -> None:
    """Say what was planned: a warning, so `flask editions sync` shows it."""
    for slug in planned:
        if mode == "send":
            log.warning(
                "autosend: edition %s scheduled in %s min (`flask newsletter cancel %s` stops it)",
                slug,
                int(delay.total_seconds() // 60),
                slug,
            )
        else:
            log.warning("autosend: edition %s ready (`flask newsletter send %s`)", slug, slug)


def _added(session: Session, slugs: Sequence[str], newest_before: int) -> list[Edition]:
    query = select(Edition).where(Edition.slug.in_(list(slugs)), Edition.id > newest_before)
    return list(session.scalars(query.order_by(Edition.id)))
