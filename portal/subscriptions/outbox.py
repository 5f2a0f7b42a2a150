"""The outbox: mail is stored with the change that caused it, then delivered and retried."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from functools import partial

from flask import Flask, Response, after_this_request, current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from portal.db import get_session, write_transaction
from portal.logs import private_logger
from portal.models import OutboxMessage, Subscriber
from portal.subscriptions.clock import database_now
from portal.subscriptions.mail import envelope_sender
from portal.subscriptions.transport import Transport, transport_from_config

# Log lines name messages by id, never by address: an address is personal data, and logs
# outlive `flask subscribers forget`.
log = private_logger(__name__)

# A sender owns a claimed message this long; if it dies, the claim runs out and the
# message is sent by the next `flask outbox send` (at least once, never lost). Claims and
# retry times are the database's clock (`database_now`), so hosts whose clocks disagree
# neither take over each other's messages nor send them early.
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
        next_attempt_at=database_now(),
        claimed_until=database_now(CLAIM.total_seconds()),
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


def deliver_after_response(mail: list[int]) -> None:
    """Send the queued mail once the response has gone, so SMTP never holds up the page.

    With no mail too, so a sign-up's request takes the same path whether mail is due or not.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    deliver = partial(deliver_claimed, app, mail)
    if app.config["MAIL_IN_BACKGROUND"]:
        # Not on this thread: a browser follows the redirect on the same connection, and
        # the next page would wait for the SMTP server (up to SMTP_TIMEOUT_SECONDS). Not a
        # daemon: a graceful restart lets the delivery finish; a killed worker leaves the
        # mail claimed, and `flask outbox send` delivers it once the claim runs out.
        send = partial(threading.Thread(target=deliver, name="portal-mail").start)
    else:
        send = deliver

    @after_this_request
    def _send_when_closed(response: Response) -> Response:
        response.call_on_close(send)
        return response


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
        # SMTP errors and replies often quote the recipient; keep it out of logs and status.
        reason = re.sub(re.escape(recipient), "the recipient", describe(error), flags=re.IGNORECASE)
        outcome = _record_failure(message_id, reason)
        log.warning("mail %s not sent, %s: %s", message_id, outcome, reason)
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
            row.sent_at = database_now()
            row.attempts += 1
            row.claimed_until = None
            row.last_error = None
            # The body held personal data and links; once sent there is no reason to keep it.
            row.message = ""


def _record_failure(message_id: int, error: str) -> str:
    """Count a failed attempt; past the cap the message is `failed`. Return what happens next."""
    most = int(current_app.config["OUTBOX_MAX_ATTEMPTS"])
    with write_transaction() as session:
        row = session.get(OutboxMessage, message_id)
        if row is None:
            return "forgotten meanwhile"
        row.attempts += 1
        row.claimed_until = None
        row.last_error = error[:1000]
        if row.attempts >= most:
            row.status = "failed"
            return f"given up after {row.attempts} attempts (`flask outbox retry` sends it again)"
        wait = retry_delay(row.attempts)
        row.next_attempt_at = database_now(wait.total_seconds())
        return f"left queued, next attempt in {int(wait.total_seconds())} s"


def claim_next(after_id: int) -> int | None:
    """Claim the next message due for sending with an id above `after_id`, by the database's clock."""
    now = database_now()
    with write_transaction() as session:
        message_id = session.scalars(
            select(OutboxMessage.id)
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
        if message_id is None:
            return None
        claim = database_now(CLAIM.total_seconds())
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(claimed_until=claim)
        )
        return message_id


@dataclass(frozen=True)
class SendReport:
    """What one run of `flask outbox send` did."""

    sent: int
    failed: int


def send_due(transport: Transport) -> SendReport:
    """Send every message that is due, each once, in the order they were queued."""
    sent = failed = 0
    last_id = 0
    while (message_id := claim_next(last_id)) is not None:
        last_id = message_id
        if attempt(transport, message_id):
            sent += 1
        else:
            failed += 1
    return SendReport(sent, failed)


@dataclass(frozen=True)
class OutboxStatus:
    """The queue at a glance, by the database's clock, and every message that has failed."""

    now: dt.datetime
    counts: dict[str, int]
    due: int
    failing: list[OutboxMessage]


def outbox_status() -> OutboxStatus:
    """Return counts by status, how many queued are due, and the messages that failed."""
    session = get_session()
    now = session.scalar(select(database_now())) or utcnow()
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
        .where(OutboxMessage.status != "sent", OutboxMessage.attempts > 0)
        .order_by(OutboxMessage.id)
    ).all()
    return OutboxStatus(now, counts, due or 0, list(failing))


def requeue_failed(ids: Sequence[int] | None) -> int:
    """Put failed messages (these ids, or all when None) back in the queue, due now."""
    with write_transaction() as session:
        chosen = OutboxMessage.status == "failed"
        if ids is not None:
            found = set(
                session.scalars(select(OutboxMessage.id).where(chosen, OutboxMessage.id.in_(ids)))
            )
            if missing := sorted(set(ids) - found):
                raise LookupError(", ".join(f"#{n}" for n in missing))
            chosen = chosen & OutboxMessage.id.in_(ids)
        again = update(OutboxMessage).where(chosen)
        result = session.execute(
            again.values(
                status="queued", attempts=0, next_attempt_at=database_now(), claimed_until=None
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
