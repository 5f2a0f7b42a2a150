"""Bringing a subscriber list across from a CSV file: ours, listmonk's or Mailtrain's export.

Every address is checked as the sign-up form checks it. An address already in the
database keeps its record whatever the file says, so an import never re-subscribes a
reader who left, and a second run of the same file changes nothing. Rows go in with
bulk inserts that skip addresses already present, a few thousand per transaction.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.db import write_transaction
from portal.subscriptions.addresses import (
    MAX_ADDRESS_LENGTH,
    InvalidInput,
    clean_name,
    normalise_address,
)
from portal.subscriptions.bulk_insert import insert_new_subscribers
from portal.subscriptions.csv_dialects import COLUMNS, NEVER_CONFIRMED, STATUSES, fold, parse_time

# When one address appears on several rows, the row that mails least wins.
_STRICTNESS = {"confirmed": 0, "unsubscribed": 1, "bounced": 2}
MAX_CONSENT_LENGTH = 2000
BATCH_SIZE = 2000
PROGRESS_STEP = 1000
# Told how many more lines of the file have been read.
Progress = Callable[[int], None]
IMPORTED_CONSENT_VERSION = "imported"


# The common form of address: an ASCII local part of letters, digits and `._%+-` (no dot at
# either end or twice) and an ASCII domain. Checking one whole takes email-validator about
# 120 us, most of it on the domain, and a list repeats a few domains: `checked_address`
# checks each domain once. Anything else takes the form's whole way.
_COMMON_ADDRESS = re.compile(
    r"([A-Za-z0-9_%+-]{1,64}(?:\.[A-Za-z0-9_%+-]+)*)@([A-Za-z0-9.-]{1,253})"
)


class ImportFileError(Exception):
    """A file that cannot be imported at all (no email column, not UTF-8 CSV)."""


@dataclass(frozen=True)
class Row:
    """One subscriber to import, checked."""

    line: int
    email: str
    first_name: str | None
    status: str
    signed_up_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    unsubscribed_at: dt.datetime | None
    consent: str | None


@dataclass(frozen=True)
class Note:
    """Something said about one line of the file: why it was rejected, or what was left out."""

    line: int
    message: str


@dataclass
class ImportReport:
    """What an import did: counts by status, addresses kept as they were, and each problem."""

    imported: Counter[str] = field(default_factory=Counter)
    already_present: int = 0
    merged: int = 0
    rejected: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=100_000)
def _checked_domain(domain: str) -> tuple[str, str | None]:
    """Return (the stored form of a domain, None), or ("", why it is refused)."""
    try:
        return normalise_address(f"x@{domain}").partition("@")[2], None
    except InvalidInput as error:
        return "", str(error)


def checked_address(raw: str) -> str:
    """Return the address as `normalise_address` does (same result, same refusals), faster."""
    text = raw.strip()
    found = _COMMON_ADDRESS.fullmatch(text)
    if found is None or len(found[1]) > 64 or len(text) > MAX_ADDRESS_LENGTH:
        return normalise_address(raw)
    domain, refused = _checked_domain(found[2].lower())
    if refused is not None:
        raise InvalidInput(refused)
    return f"{found[1]}@{domain}".lower()


def read_rows(
    lines: Iterator[str], now: dt.datetime, report: ImportReport, progress: Progress
) -> Iterator[Row]:
    """Yield each acceptable row of a CSV file; note the rejected ones in the report."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise ImportFileError("the file is empty: it needs a header row naming an email column")
    columns = _columns(header, report)
    line = reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        if start % PROGRESS_STEP == 0:
            progress(PROGRESS_STEP)
        if not any(value.strip() for value in values):
            continue  # blank lines: spreadsheets leave them at the end
        try:
            yield _row(start, _fields(columns, values), now, report)
        except ValueError as error:
            report.rejected.append(Note(start, str(error)))


def _columns(header: Sequence[str], report: ImportReport) -> dict[int, str]:
    columns: dict[int, str] = {}
    for index, name in enumerate(header):
        meaning = COLUMNS.get(fold(name.lstrip("\ufeff")))
        if meaning is None or meaning in columns.values():
            report.ignored_columns.append(name)
        else:
            columns[index] = meaning
    if "email" not in columns.values():
        raise ImportFileError(
            f"no email column: the header is {', '.join(header) or '(empty)'}; name the "
            "addresses' column `email` (listmonk's and Mailtrain's exports are read as they are)"
        )
    return columns


def _fields(columns: Mapping[int, str], values: Sequence[str]) -> dict[str, str]:
    # A short row (a spreadsheet drops empty trailing cells) reads as empty cells.
    return {meaning: values[i] if i < len(values) else "" for i, meaning in columns.items()}


def _row(line: int, fields: Mapping[str, str], now: dt.datetime, report: ImportReport) -> Row:
    try:
        email = checked_address(fields["email"])
    except InvalidInput as error:
        raise ValueError(f"the email address is not usable: {error}") from None
    given = fields.get("status", "").strip().lower()
    status = STATUSES.get(given)
    if given in NEVER_CONFIRMED:
        raise ValueError(
            f"status {given!r}: this reader never confirmed, and an import sends no "
            "confirmation; leave them out (they can sign up on the site)"
        )
    if status is None:
        known = ", ".join(sorted(s for s in STATUSES if s))
        raise ValueError(f"unknown status {fields['status']!r} (known: {known})")
    consent = fields.get("consent", "").strip() or None
    if consent and len(consent) > MAX_CONSENT_LENGTH:
        raise ValueError(f"the consent text is longer than {MAX_CONSENT_LENGTH} characters")
    return Row(
        line,
        email,
        _first_name(line, fields, report),
        status,
        parse_time(fields.get("signed_up_at", ""), now),
        parse_time(fields.get("confirmed_at", ""), now),
        parse_time(fields.get("unsubscribed_at", ""), now),
        consent,
    )


def _first_name(line: int, fields: Mapping[str, str], report: ImportReport) -> str | None:
    raw = fields.get("first_name") or (fields.get("name") or "").strip().partition(" ")[0]
    try:
        return clean_name(raw)
    except InvalidInput as error:
        # The reader still gets the newsletter, greeted without a name.
        report.warnings.append(Note(line, f"first name left out: {error}"))
        return None


def unique_rows(rows: Iterator[Row], report: ImportReport) -> list[Row]:
    """Return one row per address: the first, with the strictest status any row gave it."""
    kept: dict[str, Row] = {}
    for row in rows:
        first = kept.get(row.email)
        if first is None:
            kept[row.email] = row
            continue
        report.merged += 1
        if _STRICTNESS[row.status] > _STRICTNESS[first.status]:
            kept[row.email] = dataclasses.replace(first, status=row.status)
    return list(kept.values())


def import_subscribers(
    path: Path, now: dt.datetime, progress: Progress = lambda _: None
) -> ImportReport:
    """Import the subscribers of a CSV file (in an app context); return what was done."""
    report = ImportReport()
    try:
        with path.open(encoding="utf-8-sig", newline="") as lines:
            rows = unique_rows(read_rows(lines, now, report, progress), report)
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"the file is not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    except csv.Error as error:
        raise ImportFileError(f"the file is not readable as CSV: {error}") from None
    consent = f"Imported from {path.name} on {now:%Y-%m-%d}; the file held no consent record."
    for start in range(0, len(rows), BATCH_SIZE):
        _insert_batch(rows[start : start + BATCH_SIZE], now, consent, report)
    return report


def _insert_batch(batch: list[Row], now: dt.datetime, consent: str, report: ImportReport) -> None:
    values = [_values(row, now, consent) for row in batch]
    with write_transaction() as session:
        # An address already here (or signed up meanwhile) is left as it is.
        inserted = insert_new_subscribers(session, values)
    report.already_present += len(batch) - len(inserted)
    report.imported.update(row.status for row in batch if row.email in inserted)


def _values(row: Row, now: dt.datetime, consent: str) -> dict[str, Any]:
    signed_up = row.signed_up_at or row.confirmed_at or now
    return {
        "email": row.email,
        "first_name": row.first_name,
        "status": row.status,
        "signed_up_at": signed_up,
        "signup_client_hash": "",
        "consent_version": IMPORTED_CONSENT_VERSION,
        "consent_note": row.consent or consent,
        "confirmed_at": row.confirmed_at or (signed_up if row.status == "confirmed" else None),
        "unsubscribed_at": row.unsubscribed_at or (now if row.status == "unsubscribed" else None),
        "bounced_at": now if row.status == "bounced" else None,
        "bounce_reason": "imported as bounced" if row.status == "bounced" else None,
    }


def count_lines(path: Path) -> int:
    """Return how many lines a file holds, for a progress bar."""
    with path.open("rb") as data:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: data.read(1 << 20), b""))
