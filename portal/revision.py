"""The archive's content revision: advanced inside each write, read by caches and the index."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.models import ContentRevision


class RevisionMissing(RuntimeError):
    """The content_revision row is not there: the schema is older than the code."""


def advance(session: Session) -> int:
    """Advance the revision in the caller's write transaction; return the new number.

    `UPDATE ... SET revision = revision + 1` takes the row's lock on PostgreSQL (SQLite's
    write transactions hold the whole database), so concurrent writers queue here and each
    commits a number one above the last: no two writes share a revision, none goes back.
    """
    statement = (
        update(ContentRevision)
        .where(ContentRevision.id == 1)
        .values(revision=ContentRevision.revision + 1, changed_at=func.now())
        .returning(ContentRevision.revision)
        .execution_options(synchronize_session=False)
    )
    number = session.scalar(statement)
    if number is None:
        raise RevisionMissing("the content_revision row is missing: run `flask db upgrade`")
    return int(number)


def current(session: Session) -> int:
    """Return the revision the database is at (0 when the row is missing)."""
    return int(session.scalar(select(ContentRevision.revision)) or 0)
