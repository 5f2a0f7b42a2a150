"""Bounces: an address the provider refused for good is never mailed again.

The newsletter sender records one when the SMTP server refuses a recipient with a 5xx
reply; `flask subscribers bounce` records those a provider reports later (its bounce
list, a webhook's log). Only a new confirmation (the reader signs up again and clicks
the link) makes a bounced address a confirmed one again.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import write_transaction
from portal.models import Subscriber
from portal.subscriptions.outbox import utcnow

MAX_REASON_LENGTH = 300  # the column's size


class Bounce(enum.StrEnum):
    """What recording a bounce did."""

    RECORDED = "recorded"
    ALREADY = "already bounced"
    UNKNOWN = "no such subscriber"


def clean_reason(reason: str) -> str:
    """Return a reason on one line, control characters out, cut to the column's size."""
    text = " ".join("".join(c if c.isprintable() else " " for c in reason).split())
    return text[:MAX_REASON_LENGTH] or "no reason given"


def record_bounce(
    session: Session, email: str, reason: str, now: dt.datetime | None = None
) -> Bounce:
    """Mark the subscriber with this (normalised) address bounced, in the caller's transaction."""
    # FOR UPDATE: a concurrent confirmation or unsubscription waits for this one (SQLite
    # ignores it; its write lock orders writers).
    query = select(Subscriber).where(Subscriber.email == email).with_for_update()
    subscriber = session.scalars(query).first()
    if subscriber is None:
        return Bounce.UNKNOWN
    if subscriber.status == "bounced":
        return Bounce.ALREADY
    subscriber.status = "bounced"
    subscriber.bounced_at = now or utcnow()
    subscriber.bounce_reason = clean_reason(reason)
    return Bounce.RECORDED


def record_bounces(bounces: Iterable[tuple[str, str]]) -> Counter[Bounce]:
    """Record each (normalised address, reason) in one transaction; return what each did."""
    done: Counter[Bounce] = Counter()
    now = utcnow()
    with write_transaction() as session:
        for email, reason in bounces:
            done[record_bounce(session, email, reason, now)] += 1
    return done


def read_bounce_file(lines: Iterable[str], default_reason: str) -> Iterable[tuple[int, str, str]]:
    """Yield (line, address, reason) from a provider's list: one address a line, an optional
    reason after a comma; blank lines, `#` comments and a header row are skipped."""
    for number, line in enumerate(lines, 1):
        address, _, reason = line.strip().partition(",")
        address = address.strip().strip('"')
        if not address or address.startswith("#"):
            continue
        if number == 1 and "@" not in address:
            continue  # a header such as `email,reason`
        yield number, address, reason.strip().strip('"') or default_reason
