"""What the commands ask of the newsletter: preview, send, send what came due, status, cancel."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from portal.db import get_session
from portal.models import Edition, NewsletterSend
from portal.newsletter import sends
from portal.newsletter.message import EditionEmail, render_edition_email
from portal.newsletter.sending import Pace, Sender, Tally
from portal.newsletter.smtp import SmtpSettings
from portal.subscriptions.mail import envelope_sender
from portal.subscriptions.outbox import current_transport

STATUS_KEYS = ("edition", "audience", "delivered", "waiting", "failed", "bounced", "skipped")


class NewsletterError(Exception):
    """Something the operator must fix before the newsletter can go; the message says what."""


@dataclass(frozen=True)
class SendResult:
    """One `send` run: this sender's tally, the edition's counts after it, and the time taken."""

    slug: str
    tally: Tally
    counts: dict[str, int]
    seconds: float
    nothing_left: bool = False


def choose_edition(slug: str | None, latest: bool) -> Edition:
    """Return the edition named by SLUG or --latest; NewsletterError when it cannot be found."""
    if (slug is None) == (not latest):
        raise NewsletterError("name one edition: give its SLUG, or --latest for the newest.")
    try:
        if slug is None:
            return sends.latest_edition(get_session())
        return sends.find_edition(get_session(), slug)
    except LookupError as error:
        raise NewsletterError(f"{error}.") from None


def recipients_to_go(edition: Edition) -> int:
    """Return how many readers a send would mail now: the waiting, or everyone confirmed."""
    session = get_session()
    records = sends.send_records(session, edition.id)
    if records and records[0].started_at is not None:
        counts = sends.counts(session, edition.id)
        return counts["waiting"] + counts["failed"]
    return sends.confirmed_count(session)


def smtp_settings() -> SmtpSettings:
    """Return the SMTP settings; NewsletterError when no SMTP server is configured."""
    config = current_app.config
    if not config["SMTP_HOST"]:
        raise NewsletterError(
            "PORTAL_SMTP_HOST is not set: the newsletter goes only through an SMTP server "
            "(see docs/newsletter.md); `flask newsletter preview SLUG --output FILE.eml` "
            "shows the email without one."
        )
    return SmtpSettings.from_config(config, envelope_sender(config["MAIL_FROM"]))


def pace() -> Pace:
    """Return the pace the settings ask for."""
    config = current_app.config
    return Pace(
        connections=int(config["MAIL_CONNECTIONS"]),
        rate=float(config["MAIL_RATE"]),
        max_errors=int(config["MAIL_MAX_ERRORS"]),
    )


def render(edition: Edition) -> EditionEmail:
    """Render the edition's email once."""
    return render_edition_email(get_session(), edition.slug)


def send_edition(
    edition: Edition, start_progress: Callable[[int], Callable[[int], None]]
) -> SendResult:
    """Record the audience (once), deliver what waits, and return what happened."""
    smtp, email = smtp_settings(), render(edition)
    started = time.monotonic()
    waiting = sends.start_send(edition.id)
    get_session().rollback()
    if not waiting:
        counts = sends.counts(get_session(), edition.id)
        return SendResult(edition.slug, Tally(), counts, 0.0, nothing_left=True)
    tally = Sender(email, smtp, pace(), start_progress(waiting)).run()
    if not tally.paused:
        sends.finish(edition.id)
    counts = sends.counts(get_session(), edition.id)
    get_session().rollback()
    return SendResult(edition.slug, tally, counts, time.monotonic() - started)


def due_editions() -> list[Edition]:
    """Return the editions whose scheduled send came due."""
    session = get_session()
    ids = sends.due_editions(session)
    return [edition for edition_id in ids if (edition := session.get(Edition, edition_id))]


def preview(edition: Edition, addresses: Sequence[str], output: Path | None) -> int:
    """Send the `[TEST]` email to addresses, or write it to a file; nothing is recorded."""
    email = render(edition)
    if output is not None:
        output.write_bytes(email.test_message(addresses[0] if addresses else "reader@example.com"))
        return 1
    transport = current_transport()
    sender = envelope_sender(current_app.config["MAIL_FROM"])
    for address in addresses:
        transport.send(sender, address, email.test_message(address))
    return len(addresses)


@dataclass(frozen=True)
class EditionStatus:
    """One edition's send: its record and its counts."""

    slug: str
    title: str
    record: NewsletterSend
    counts: dict[str, int]
    # Deliveries a live sender holds: 0 while `sending` means its sender died or stopped.
    claimed: int = 0

    def as_json(self) -> dict[str, object]:
        """Return the object `status --json` prints: exactly STATUS_KEYS."""
        return {"edition": self.slug} | {key: self.counts[key] for key in STATUS_KEYS[1:]}


def statuses(edition: Edition | None) -> list[EditionStatus]:
    """Return the send status of one edition, or of every edition with a send record."""
    session = get_session()
    found = []
    for record in sends.send_records(session, edition.id if edition else None):
        known = session.get(Edition, record.edition_id)
        assert known is not None
        counts = sends.counts(session, known.id)
        claimed = sends.live_claims(session, known.id)
        found.append(EditionStatus(known.slug, known.title, record, counts, claimed))
    return found


def failed_lines(edition_id: int) -> list[str]:
    """Return one line per reader who did not get the edition: id, address, status, why."""
    lines = []
    for subscriber_id, address, status, why in sends.failed_deliveries(get_session(), edition_id):
        reason = why or "no longer confirmed when their turn came"
        lines.append(f"subscriber {subscriber_id} <{address}>: {status}: {reason}")
    return lines
