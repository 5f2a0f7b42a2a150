"""The outbox: mail is stored with the change that caused it, then delivered and retried."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask, current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.db import get_session, write_transaction
from portal.models import OutboxMessage, Subscriber
from portal.subscriptions.mail import envelope_sender
from portal.subscriptions.transport import Transport, transport_from_config

log = logging.getLogger(__name__)

# A sender owns a claimed message this long; if it dies, the claim runs out and the
# message is sent by the next `flask outbox send` (at least once, never lost).
CLAIM = dt.timedelta(minutes=10)
LONGEST_WAIT = dt.timedelta(hours=6)


def utcnow() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.UTC)


def retry_delay(attempts: int) -> dt.timedelta:
    """Return the wait after `attempts` failures: none after the first, then 1, 2, 4 ... minutes."""
    if attempts <= 1:
        return dt.timedelta(0)
    return min(dt.timedelta(minutes=2 ** min(attempts - 2, 16)), LONGEST_WAIT)


def queue(
    session: Session, subscriber: Subscriber, kind: str, message: EmailMessage, now: dt.datetime
) -> int:
    """Add a message to the outbox, claimed by the caller, who delivers it after committing."""
    row = OutboxMessage(
        subscriber_id=subscriber.id,
        kind=kind,
        recipient=subscriber.email,
        message=message.as_string(),
        status="queued",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        claimed_until=now + CLAIM,
    )
    session.add(row)
    session.flush()
    return row.id


def current_transport() -> Transport:
    """Return the transport the app's settings describe."""
    return transport_from_config(current_app.config, current_app.instance_path)


def deliver_claimed(app: Flask, ids: Sequence[int]) -> None:
    """Deliver messages this process claimed; run after the response, so log, never raise."""
    try:
        with app.app_context():
            transport = current_transport()
            for message_id in ids:
                attempt(transport, message_id)
    except Exception:
        log.exception("delivering outbox messages %s failed; `flask outbox send` retries", ids)


def attempt(transport: Transport, message_id: int) -> bool:
    """Try to send one claimed message and record the outcome; return whether it went."""
    row = get_session().get(OutboxMessage, message_id)
    if row is None or row.status != "queued":
        return False
    recipient, data = row.recipient, row.message.encode()
    sender = envelope_sender(current_app.config["MAIL_FROM"])
    try:
        transport.send(sender, recipient, data)
    except (OSError, smtplib.SMTPException) as error:
        _record_failure(message_id, describe(error))
        log.warning("mail %s to %s not sent, left queued: %s", message_id, recipient, error)
        return False
    _record_success(message_id)
    return True


def describe(error: Exception) -> str:
    """Return a one-line account of a delivery failure for `flask outbox status`."""
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{type(error).__name__}: {error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}"


def _record_success(message_id: int) -> None:
    with write_transaction() as session:
        row = session.get(OutboxMessage, message_id)
        if row is not None:
            row.status = "sent"
            row.sent_at = utcnow()
            row.attempts += 1
            row.claimed_until = None
            row.last_error = None
            # The body held personal data and links; once sent there is no reason to keep it.
            row.message = ""


def _record_failure(message_id: int, error: str) -> None:
    now = utcnow()
    with write_transaction() as session:
        row = session.get(OutboxMessage, message_id)
        if row is not None:
            row.attempts += 1
            row.next_attempt_at = now + retry_delay(row.attempts)
            row.claimed_until = None
            row.last_error = error[:1000]


def claim_next(after_id: int, now: dt.datetime) -> int | None:
    """Claim the next message due for sending with an id above `after_id`."""
    with write_transaction() as session:
        row = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "queued",
                OutboxMessage.id > after_id,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        row.claimed_until = now + CLAIM
        return row.id


@dataclass(frozen=True)
class SendReport:
    """What one run of `flask outbox send` did."""

    sent: int
    failed: int


def send_due(transport: Transport) -> SendReport:
    """Send every message that is due, each once, in the order they were queued."""
    sent = failed = 0
    last_id = 0
    while (message_id := claim_next(last_id, utcnow())) is not None:
        last_id = message_id
        if attempt(transport, message_id):
            sent += 1
        else:
            failed += 1
    return SendReport(sent, failed)


@dataclass(frozen=True)
class OutboxStatus:
    """The queue at a glance, and the messages that have failed at least once."""

    sent: int
    queued: int
    due: int
    failing: list[OutboxMessage]


def outbox_status(now: dt.datetime) -> OutboxStatus:
    """Return counts of sent, queued and due messages, and the queued ones that failed."""
    session = get_session()
    counts = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    due = session.scalar(
        select(func.count()).where(
            OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now
        )
    )
    failing = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == "queued", OutboxMessage.attempts > 0)
        .order_by(OutboxMessage.id)
    ).all()
    return OutboxStatus(counts.get("sent", 0), counts.get("queued", 0), due or 0, list(failing))
