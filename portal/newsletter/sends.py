"""An edition's send record: created, its audience recorded once, paused, finished, cancelled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.db import write_transaction
from portal.models import DELIVERY_STATUSES, Delivery, Edition, NewsletterSend, Subscriber
from portal.subscriptions.clock import database_now


def find_edition(session: Session, slug: str) -> Edition:
    """Return the edition with this slug; LookupError names it when there is none."""
    edition = session.scalars(select(Edition).where(Edition.slug == slug)).first()
    if edition is None:
        raise LookupError(f"no edition has the slug {slug!r}")
    return edition


def latest_edition(session: Session) -> Edition:
    """Return the newest edition (by date, then by arrival); LookupError when there is none."""
    query = select(Edition).order_by(Edition.date.desc().nulls_last(), Edition.id.desc()).limit(1)
    edition = session.scalars(query).first()
    if edition is None:
        raise LookupError("the archive holds no edition yet")
    return edition


def lock_send(session: Session, edition_id: int) -> NewsletterSend | None:
    """Return the edition's send record, locked for this transaction on PostgreSQL."""
    query = select(NewsletterSend).where(NewsletterSend.edition_id == edition_id)
    return session.scalars(query.with_for_update()).first()


def ensure_send(session: Session, edition_id: int, **values: Any) -> None:
    """Create the edition's send record with these values unless it exists (two senders may race)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    row = {"edition_id": edition_id, "created_at": database_now()} | values
    statement = module.insert(NewsletterSend).values(row)
    session.execute(statement.on_conflict_do_nothing(index_elements=["edition_id"]))


def confirmed_count(session: Session) -> int:
    """Return how many subscribers are confirmed now: the audience a send would record."""
    query = select(func.count()).where(Subscriber.status == "confirmed")
    return session.scalar(query) or 0


def _record_audience(session: Session, edition_id: int) -> None:
    # One INSERT ... SELECT: every subscriber confirmed at this moment, nobody confirmed later;
    # the unique (edition, subscriber) makes a second row for anyone impossible.
    chosen = select(literal(edition_id), Subscriber.id, literal("waiting"), literal(0)).where(
        Subscriber.status == "confirmed"
    )
    columns = ["edition_id", "subscriber_id", "status", "attempts"]
    session.execute(insert(Delivery).from_select(columns, chosen))


def start_send(edition_id: int) -> int:
    """Record the audience if not yet done, queue failed messages again; return how many wait."""
    with write_transaction() as session:
        ensure_send(session, edition_id, state="draft", origin="command")
        send = lock_send(session, edition_id)
        assert send is not None
        if send.started_at is None:
            _record_audience(session, edition_id)
            send.started_at = session.scalar(select(database_now()))
        # Run by the operator: what failed is tried again, and what waits goes at once.
        session.execute(
            update(Delivery)
            .where(
                Delivery.edition_id == edition_id,
                or_(
                    Delivery.status == "failed",
                    and_(Delivery.status == "waiting", Delivery.next_attempt_at.is_not(None)),
                ),
            )
            .values(status="waiting", attempts=0, next_attempt_at=None)
        )
        waiting = counts(session, edition_id)["waiting"]
        send.state, send.note = ("sending", None) if waiting else ("done", send.note)
        return waiting


def finish(edition_id: int) -> bool:
    """Mark the send done when nothing waits any more; return whether it is done."""
    with write_transaction() as session:
        send = lock_send(session, edition_id)
        if send is None or counts(session, edition_id)["waiting"]:
            return False
        if send.state == "sending":
            send.state = "done"
            send.finished_at = session.scalar(select(database_now()))
        return send.state == "done"


def pause(edition_id: int, note: str) -> None:
    """Stop every sender of the edition after a run of failures, saying why."""
    with write_transaction() as session:
        send = lock_send(session, edition_id)
        if send is not None and send.state == "sending":
            send.state, send.note = "paused", note[:1000]


def cancel(edition_id: int) -> str | None:
    """Cancel a draft, scheduled, paused or running send; return the state it had (None: none)."""
    with write_transaction() as session:
        send = lock_send(session, edition_id)
        if send is None:
            return None
        was = send.state
        if was != "done":
            send.state, send.due_at = "cancelled", None
        return was


def counts(session: Session, edition_id: int) -> dict[str, int]:
    """Return the audience and how many deliveries have each status."""
    query = (
        select(Delivery.status, func.count())
        .where(Delivery.edition_id == edition_id)
        .group_by(Delivery.status)
    )
    found: dict[str, int] = dict(session.execute(query).all())
    by_status = {status: found.get(status, 0) for status in DELIVERY_STATUSES}
    return {"audience": sum(by_status.values())} | by_status


def send_records(session: Session, edition_id: int | None = None) -> list[NewsletterSend]:
    """Return the send records (one edition's, or all, newest first)."""
    query = select(NewsletterSend).order_by(
        NewsletterSend.created_at.desc(), NewsletterSend.id.desc()
    )
    if edition_id is not None:
        query = query.where(NewsletterSend.edition_id == edition_id)
    return list(session.scalars(query))


def due_editions(session: Session) -> list[int]:
    """Return the editions whose scheduled send came due, and autosends a dead sender left."""
    now = session.scalar(select(database_now()))
    abandoned = (
        select(Delivery.id)
        .where(
            Delivery.edition_id == NewsletterSend.edition_id,
            Delivery.status == "waiting",
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        .exists()
    )
    query = select(NewsletterSend.edition_id).where(
        or_(
            and_(NewsletterSend.state == "scheduled", NewsletterSend.due_at <= now),
            # A timer's send killed mid-way: the next timer run finishes it.
            and_(NewsletterSend.state == "sending", NewsletterSend.origin == "autosend", abandoned),
        )
    )
    return list(session.scalars(query.order_by(NewsletterSend.due_at)))


def failed_deliveries(session: Session, edition_id: int) -> list[tuple[int, str, str, str]]:
    """Return (subscriber id, address, status, why) for every reader who did not get it."""
    query = (
        select(Subscriber.id, Subscriber.email, Delivery.status, Delivery.last_error)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(
            Delivery.edition_id == edition_id, Delivery.status.in_(("failed", "bounced", "skipped"))
        )
        .order_by(Subscriber.id)
    )
    return [(row[0], row[1], row[2], row[3] or "") for row in session.execute(query)]


def utc_now(session: Session) -> dt.datetime:
    """Return the database's clock."""
    now: dt.datetime | None = session.scalar(select(database_now()))
    assert now is not None
    return now


def live_claims(session: Session, edition_id: int) -> int:
    """Return how many of the edition's deliveries a sender holds now (0: nobody at work)."""
    now = utc_now(session)
    query = select(func.count()).where(
        Delivery.edition_id == edition_id,
        Delivery.status == "waiting",
        Delivery.claimed_until > now,
    )
    return session.scalar(query) or 0
