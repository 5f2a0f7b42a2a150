"""What other mailers' CSV exports write: column names, statuses and times (listmonk, Mailtrain)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

# Header names, folded (lower case, spaces and hyphens as underscores), to what they hold.
# listmonk's export: uuid,email,name,attributes,status,created_at,updated_at.
# Mailtrain's: cid,status,HASH_EMAIL,EMAIL and one column per field, MERGE_FIRST_NAME etc.
COLUMNS: Mapping[str, str] = {
    "email": "email",
    "email_address": "email",
    "first_name": "first_name",
    "firstname": "first_name",
    "merge_first_name": "first_name",
    "name": "name",  # a full name: its first word is kept
    "merge_name": "name",
    "status": "status",
    "confirmed_at": "confirmed_at",
    "signed_up_at": "signed_up_at",
    "created_at": "signed_up_at",
    "unsubscribed_at": "unsubscribed_at",
    "consent": "consent",
}
# Statuses as each mailer writes them. listmonk: enabled, disabled, blocklisted (and
# blacklisted before v1); Mailtrain: subscribed, unsubscribed, bounced, complained.
# Anyone a list would not mail is imported as someone the portal will not mail either.
STATUSES: Mapping[str, str] = {
    "": "confirmed",
    "confirmed": "confirmed",
    "subscribed": "confirmed",
    "enabled": "confirmed",
    "unsubscribed": "unsubscribed",
    "disabled": "unsubscribed",
    "blocklisted": "unsubscribed",
    "blacklisted": "unsubscribed",
    "complained": "unsubscribed",
    "bounced": "bounced",
}
# Readers who never confirmed (ours, listmonk's subscription status): not importable.
NEVER_CONFIRMED = frozenset({"pending", "unconfirmed"})
# Go's time.String(), as listmonk writes dates: 2024-05-06 07:08:09.123456 +0000 UTC
_GO_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d+)? ([+-]\d{4})(?: \w+)?")


def fold(header: str) -> str:
    """Return a header name folded for lookup: `Email Address` -> `email_address`."""
    return re.sub(r"[\s-]+", "_", header.strip().lower())


def parse_time(raw: str, now: dt.datetime) -> dt.datetime | None:
    """Return a time from ISO 8601 or listmonk's form, in UTC (naive means UTC); ValueError if not."""
    text = raw.strip()
    if not text:
        return None
    found = _GO_TIME.fullmatch(text)
    if found:
        text = f"{found[1]}{(found[2] or '')[:7]}{found[3]}"
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{raw!r} is not a date and time (use ISO 8601: 2024-05-06T07:08:09Z)"
        ) from None
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if value > now:
        raise ValueError(f"{raw!r} is in the future")
    return value
