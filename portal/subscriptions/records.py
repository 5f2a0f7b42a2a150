"""The data-rights side: export, erase one person, and counts by status."""

from __future__ import annotations

import csv
import datetime as dt
from typing import TextIO

from sqlalchemy import delete, func, or_, select

from portal.db import get_session, write_transaction
from portal.models import SUBSCRIBER_STATUSES, OutboxMessage, Subscriber

EXPORT_COLUMNS = (
    "email",
    "first_name",
    "status",
    "signed_up_at",
    "confirmed_at",
    "unsubscribed_at",
    "consent_version",
)
# Free text starting with one of these is a formula to a spreadsheet (CSV injection).
# Only the name is free text: a valid address cannot hold the parentheses a formula needs,
# and changing one would break the import into a mailing tool.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _time(value: dt.datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _text(value: str | None) -> str:
    if not value:
        return ""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _row(subscriber: Subscriber) -> list[str]:
    return [
        subscriber.email,
        _text(subscriber.first_name),
        subscriber.status,
        _time(subscriber.signed_up_at),
        _time(subscriber.confirmed_at),
        _time(subscriber.unsubscribed_at),
        subscriber.consent_version,
    ]


def export_csv(out: TextIO, status: str) -> int:
    """Write the subscribers with this status to `out` as CSV; return how many."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    subscribers = get_session().scalars(
        select(Subscriber).where(Subscriber.status == status).order_by(Subscriber.id)
    )
    count = 0
    for subscriber in subscribers:
        writer.writerow(_row(subscriber))
        count += 1
    return count


def forget(email: str) -> bool:
    """Erase a subscriber and every email to them; return whether there was one."""
    with write_transaction() as session:
        subscriber = session.scalars(select(Subscriber).where(Subscriber.email == email)).first()
        to_them = OutboxMessage.recipient == email
        if subscriber is not None:
            to_them = or_(to_them, OutboxMessage.subscriber_id == subscriber.id)
        session.execute(delete(OutboxMessage).where(to_them))
        if subscriber is None:
            return False
        session.delete(subscriber)
        return True


def counts_by_status() -> dict[str, int]:
    """Return how many subscribers have each status (zero included)."""
    query = select(Subscriber.status, func.count()).group_by(Subscriber.status)
    found: dict[str, int] = dict(get_session().execute(query).all())
    return {status: found.get(status, 0) for status in SUBSCRIBER_STATUSES}
