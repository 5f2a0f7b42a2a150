"""Sign-up, confirmation, resending and unsubscribing: each one transaction, mail included."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.db import get_session, write_transaction
from portal.models import Subscriber, UTCDateTime
from portal.subscriptions import outbox
from portal.subscriptions.mail import confirmation_message, welcome_message
from portal.subscriptions.tokens import TokenClaim

# However often an address is submitted, and from wherever, it gets one confirmation an hour.
CONFIRMATION_INTERVAL = dt.timedelta(hours=1)


@dataclass(frozen=True)
class SignupRequest:
    """A validated sign-up: normalised address, cleaned name, and where it came from."""

    email: str
    first_name: str | None
    client_address: str
    consent_version: str


@dataclass(frozen=True)
class Outcome:
    """What a confirmation did ("confirmed", "expired" or "invalid") and the mail it queued."""

    state: str
    mail: list[int] = field(default_factory=list)


def client_hash(client_address: str) -> str:
    """Return an HMAC of a client address: comparable, but not reversible without the key."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, client_address.encode(), hashlib.sha256).hexdigest()


def sign_up(request: SignupRequest) -> list[int]:
    """Record a sign-up, queueing a confirmation when one is due; return the mail to deliver.

    Every address, whatever its state, takes the same statements and the same work, so the
    answer's time says nothing about it: the subscriber row is written (unchanged when no
    confirmation is due) and a confirmation is composed and queued, then dropped again
    (a savepoint rolled back) when none is due.
    """
    for _ in range(2):
        queued = _sign_up_once(request)
        if queued is not None:
            return queued
    # Unreachable in practice: the second pass holds the row's lock (FOR UPDATE) from its
    # read to its write. No address in the message: logs keep none.
    raise RuntimeError("a sign-up raced another request for the same address twice")


def _sign_up_once(request: SignupRequest) -> list[int] | None:
    now = outbox.utcnow()
    with write_transaction() as session:
        found = _locked(session, Subscriber.email == request.email)
        due = found is None or not (
            found.status == "confirmed" or _confirmation_is_recent(found, now)
        )
        subscriber = _write_subscriber(session, _signup_values(request, found, due, now), found)
        if subscriber is None:
            # Another request inserted this address between our read and our write (possible
            # on PostgreSQL): start again, and it is an existing one now.
            return None
        savepoint = session.begin_nested()
        message = outbox.queue(
            session, subscriber, "confirmation", confirmation_message(subscriber, now), now
        )
        if not due:
            savepoint.rollback()
            return []
        savepoint.commit()
        return [message]


def _signup_values(
    request: SignupRequest, found: Subscriber | None, due: bool, now: dt.datetime
) -> dict[str, object]:
    """Return the subscriber row to write: the sign-up's when due, else the row as it is."""
    written: dict[str, object] = {
        "email": request.email,
        "status": "pending",  # a new row's; an existing row keeps its status
        "first_name": request.first_name or (found.first_name if found else None),
        "signed_up_at": now,
        "signup_client_hash": client_hash(request.client_address),
        "consent_version": request.consent_version,
        "confirmation_sent_at": now,
    }
    if due or found is None:
        return written
    return {name: getattr(found, name) for name in written}


def _write_subscriber(
    session: Session, values: dict[str, object], found: Subscriber | None
) -> Subscriber | None:
    """Insert or update the subscriber in one statement whatever the address's state.

    Returns None when the row changed since it was read (another request's insert).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    row = insert(Subscriber).values(values)
    kept = ("email", "status")
    # A bound parameter even when None, so a new address's statement reads like the others'.
    seen = bindparam("seen", found.confirmation_sent_at if found else None, UTCDateTime())
    statement = row.on_conflict_do_update(
        index_elements=[Subscriber.email],
        set_={name: row.excluded[name] for name in values if name not in kept},
        where=Subscriber.confirmation_sent_at.is_not_distinct_from(seen),
    ).returning(Subscriber)
    options = {"populate_existing": True}
    return session.scalars(statement, execution_options=options).first()


def confirm(claim: TokenClaim, client_address: str) -> Outcome:
    """Confirm the subscriber a fresh token names; confirming twice changes nothing."""
    now = outbox.utcnow()
    with write_transaction() as session:
        subscriber = _claimed_subscriber(session, claim)
        if subscriber is None:
            return Outcome("invalid")
        if subscriber.status == "confirmed":
            return Outcome("confirmed")
        if _issued_before_unsubscribing(subscriber, claim):
            return Outcome("expired")
        subscriber.status = "confirmed"
        subscriber.confirmed_at = now
        subscriber.confirm_client_hash = client_hash(client_address)
        mail = outbox.queue(session, subscriber, "welcome", welcome_message(subscriber, now), now)
        return Outcome("confirmed", [mail])


def confirmable(claim: TokenClaim) -> Outcome:
    """Return what confirming with this fresh token would do, changing nothing."""
    subscriber = get_session().get(Subscriber, claim.subscriber_id)
    if subscriber is None or not claim.matches(subscriber.email):
        return Outcome("invalid")
    if subscriber.status != "confirmed" and _issued_before_unsubscribing(subscriber, claim):
        return Outcome("expired")
    return Outcome("confirmed")


def resend(claim: TokenClaim) -> list[int]:
    """Queue a fresh confirmation for an old link's subscriber, if one is still wanted and due."""
    now = outbox.utcnow()
    with write_transaction() as session:
        subscriber = _claimed_subscriber(session, claim)
        if (
            subscriber is None
            or subscriber.status == "confirmed"
            or _confirmation_is_recent(subscriber, now)
        ):
            return []
        return [_queue_confirmation(session, subscriber, now)]


def unsubscribe(claim: TokenClaim) -> None:
    """Unsubscribe the subscriber a token names; unknown or already unsubscribed is fine."""
    with write_transaction() as session:
        subscriber = _claimed_subscriber(session, claim)
        if subscriber is not None and subscriber.status != "unsubscribed":
            subscriber.status = "unsubscribed"
            subscriber.unsubscribed_at = outbox.utcnow()


def _locked(session: Session, condition: ColumnElement[bool]) -> Subscriber | None:
    # FOR UPDATE serialises concurrent requests on PostgreSQL; SQLite ignores it and
    # relies on the write lock BEGIN IMMEDIATE already holds.
    return session.scalars(select(Subscriber).where(condition).with_for_update()).first()


def _claimed_subscriber(session: Session, claim: TokenClaim) -> Subscriber | None:
    subscriber = _locked(session, Subscriber.id == claim.subscriber_id)
    if subscriber is None or not claim.matches(subscriber.email):
        return None  # forgotten, or the id now belongs to someone else
    return subscriber


def _confirmation_is_recent(subscriber: Subscriber, now: dt.datetime) -> bool:
    sent = subscriber.confirmation_sent_at
    return sent is not None and now - sent < CONFIRMATION_INTERVAL


def _issued_before_unsubscribing(subscriber: Subscriber, claim: TokenClaim) -> bool:
    # A link from before an unsubscribe must not resubscribe; that needs a new link.
    # Token times are whole seconds, so compare with the unsubscribe time rounded down.
    left = subscriber.unsubscribed_at
    if subscriber.status != "unsubscribed" or left is None or claim.issued_at is None:
        return False
    return claim.issued_at < left.replace(microsecond=0)


def _queue_confirmation(session: Session, subscriber: Subscriber, now: dt.datetime) -> int:
    subscriber.confirmation_sent_at = now
    message = confirmation_message(subscriber, now)
    return outbox.queue(session, subscriber, "confirmation", message, now)
