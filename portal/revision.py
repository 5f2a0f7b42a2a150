"""The archive's content revision: advanced inside each write, read by caches and the index."""

from __future__ import annotations

from sqlalchemy import BigInteger, ColumnElement, cast, func, select, update
from sqlalchemy.orm import Session

from portal.models import ContentRevision

# 1970-01-01 as a Julian day, and microseconds in a day: SQLite's clock as a Unix time.
_UNIX_EPOCH_JULIAN_DAY = 2440587.5
_MICROSECONDS_A_DAY = 86_400_000_000


class RevisionMissing(RuntimeError):
    """The content_revision row is not there: the schema is older than the code."""


def advance(session: Session) -> int:
    """Advance the revision in the caller's write transaction; return the new number.

    `UPDATE ... SET revision = revision + 1` takes the row's lock on PostgreSQL (SQLite's
    write transactions hold the whole database), so concurrent writers queue here and each
    commits a number above the last: no two writes share a revision, none goes back. The
    new number is also at least the database's clock in microseconds, so a database restored
    from a backup never hands out again a number that pages and ETags were made for before.
    """
    statement = (
        update(ContentRevision)
        .where(ContentRevision.id == 1)
        .values(revision=_next(session), changed_at=func.now())
        .returning(ContentRevision.revision)
        .execution_options(synchronize_session=False)
    )
    number = session.scalar(statement)
    if number is None:
        raise RevisionMissing("the content_revision row is missing: run `flask db upgrade`")
    return int(number)


def _next(session: Session) -> ColumnElement[int]:
    """Return SQL for max(revision + 1, the database's clock in microseconds)."""
    if session.get_bind().dialect.name == "sqlite":
        days = func.julianday("now") - _UNIX_EPOCH_JULIAN_DAY
        clock = cast(days * _MICROSECONDS_A_DAY, BigInteger)
        return func.max(ContentRevision.revision + 1, clock)  # two arguments: SQLite's scalar max
    seconds = func.extract("epoch", func.clock_timestamp())
    return func.greatest(ContentRevision.revision + 1, cast(seconds * 1_000_000, BigInteger))


def current(session: Session) -> int:
    """Return the revision the database is at (0 when the row is missing)."""
    return int(session.scalar(select(ContentRevision.revision)) or 0)
