"""Delivery records: the audience of a send, claims on it, and what became of each message.

Times are the database's clock (`database_now`), so senders on hosts whose clocks disagree
neither take over each other's claims nor retry early.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, case, func, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from portal.db import write_transaction
from portal.models import Delivery, NewsletterSend, Subscriber, UTCDateTime
from portal.newsletter.message import Recipient
from portal.newsletter.sends import lock_send
from portal.subscriptions.bounces import record_bounce
from portal.subscriptions.clock import database_now

# A sender owns the rows it claimed this long and renews the claim while it works; a
# sender killed mid-send leaves claims that run out within a minute.
LEASE_SECONDS = 60.0
# A temporary refusal waits 2, 4, 8 ... seconds, at most 10 minutes; after this many
# attempts the message is given up as `failed` (`flask newsletter send` tries it again).
MAX_ATTEMPTS = 10
LONGEST_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class Claimed:
    """A delivery this sender now owns, with the reader it goes to."""

    delivery_id: int
    recipient: Recipient


@dataclass(frozen=True)
class Batch:
    """Claimed deliveries, how long to wait before the first (the shared rate's window), and
    whether the send is still under way (not paused, cancelled or done)."""

    items: list[Claimed]
    delay: float
    open: bool = True


@dataclass(frozen=True)
class Outcome:
    """What happened to one message: delivered, retry (4xx), bounced (5xx on RCPT) or failed."""

    delivery_id: int
    subscriber_id: int
    kind: str
    error: str | None = None


def retry_wait(attempts: int) -> float:
    """Return the seconds to wait after `attempts` temporary failures: 2, 4, 8 ... at most 600."""
    return min(2.0 ** min(attempts, 20), LONGEST_WAIT_SECONDS)


def _claimable(edition_id: int, now: dt.datetime) -> list[object]:
    return [
        Delivery.edition_id == edition_id,
        Delivery.status == "waiting",
        or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
    ]


def _due_rows(
    session: Session, edition_id: int, size: int
) -> Sequence[Row[int, int, str, str | None, str]]:
    now = session.scalar(select(database_now()))
    assert now is not None
    query = (
        select(
            Delivery.id, Subscriber.id, Subscriber.email, Subscriber.first_name, Subscriber.status
        )
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(*_claimable(edition_id, now))  # type: ignore[arg-type]
        .order_by(Delivery.id)
        .limit(size)
        # PostgreSQL: two senders each take rows the other has not locked; SQLite: the
        # write lock taken at BEGIN IMMEDIATE already orders them.
        .with_for_update(skip_locked=True, of=Delivery)
    )
    return session.execute(query).all()


def claim_batch(edition_id: int, size: int, claimer: str, rate: float) -> Batch:
    """Claim up to `size` due deliveries of a send under way; readers no longer confirmed are skipped."""
    with write_transaction() as session:
        send = lock_send(session, edition_id)
        if send is None or send.state != "sending":
            return Batch([], 0.0, open=False)
        rows = _due_rows(session, edition_id, size)
        gone = [row[0] for row in rows if row[4] != "confirmed"]
        items = [
            Claimed(row[0], Recipient(row[1], row[2], row[3]))
            for row in rows
            if row[4] == "confirmed"
        ]
        if gone:
            # Unsubscribed or bounced since the audience was recorded: nothing more for them.
            session.execute(update(Delivery).where(Delivery.id.in_(gone)).values(status="skipped"))
        ids = [item.delivery_id for item in items]
        _hold(session, ids, claimer)
        return Batch(items, _reserve_window(session, send, len(items), rate))


def _hold(session: Session, ids: Sequence[int], claimer: str) -> None:
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(claimed_until=database_now(LEASE_SECONDS), claimed_by=claimer)
        )


def _reserve_window(session: Session, send: NewsletterSend, count: int, rate: float) -> float:
    """Reserve `count / rate` seconds after the last window; return the wait until it starts."""
    if rate <= 0 or count == 0:
        return 0.0
    now = session.scalar(select(database_now()))
    assert now is not None
    start = max(now, send.paced_until or now)
    send.paced_until = start + dt.timedelta(seconds=count / rate)
    return float((start - now).total_seconds())


def renew(ids: Sequence[int], claimer: str) -> None:
    """Extend this sender's claims on deliveries it still holds."""
    with write_transaction() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.claimed_by == claimer)
            .values(claimed_until=database_now(LEASE_SECONDS))
        )


def release(ids: Sequence[int]) -> None:
    """Give back claimed deliveries that were not attempted, for any sender to take at once."""
    if ids:
        with write_transaction() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.status == "waiting")
                .values(claimed_until=None, claimed_by=None)
            )


def record(outcomes: Sequence[Outcome]) -> None:
    """Store what became of messages, in one transaction."""
    with write_transaction() as session:
        delivered = [o.delivery_id for o in outcomes if o.kind == "delivered"]
        if delivered:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(delivered))
                .execution_options(synchronize_session=False)
                .values(
                    status="delivered",
                    sent_at=database_now(),
                    attempts=Delivery.attempts + 1,
                    claimed_until=None,
                    last_error=None,
                )
            )
        for outcome in outcomes:
            if outcome.kind != "delivered":
                _record_refusal(session, outcome)


def _record_refusal(session: Session, outcome: Outcome) -> None:
    row = session.get(Delivery, outcome.delivery_id)
    if row is None:
        return  # the subscriber was erased meanwhile
    row.attempts += 1
    row.claimed_until = None
    row.last_error = (outcome.error or "")[:300]
    if outcome.kind == "bounced":
        row.status = "bounced"
        mark_bounced(session, outcome.subscriber_id, row.last_error)
    elif outcome.kind == "failed" or row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
    else:
        row.next_attempt_at = session.scalar(select(database_now(retry_wait(row.attempts))))


def mark_bounced(session: Session, subscriber_id: int, reason: str) -> None:
    """Mark a subscriber bounced: the provider refused the address for good; never mailed again."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is not None:
        record_bounce(session, subscriber.email, reason)


def seconds_until_due(session: Session, edition_id: int) -> float | None:
    """Return how soon a waiting delivery can be claimed (0: now), or None when none waits."""
    now = session.scalar(select(database_now()))
    assert now is not None
    claimed = func.coalesce(Delivery.claimed_until, now)
    retried = func.coalesce(Delivery.next_attempt_at, now)
    # The later of the two, written portably (SQLite's max() is PostgreSQL's greatest()).
    ready = type_coerce(case((claimed > retried, claimed), else_=retried), UTCDateTime())
    soonest = session.scalar(
        select(type_coerce(func.min(ready), UTCDateTime())).where(
            Delivery.edition_id == edition_id, Delivery.status == "waiting"
        )
    )
    if soonest is None:
        return None
    return max(float((soonest - now).total_seconds()), 0.0)
