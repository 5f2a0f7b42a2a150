"""Adding many subscribers at once, leaving every address already present as it is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from portal.models import Subscriber

# The columns a bulk insert writes, with each one's PostgreSQL type.
COLUMNS = {
    "email": "text",
    "first_name": "text",
    "status": "text",
    "signed_up_at": "timestamptz",
    "signup_client_hash": "text",
    "consent_version": "text",
    "consent_note": "text",
    "confirmed_at": "timestamptz",
    "unsubscribed_at": "timestamptz",
    "bounced_at": "timestamptz",
    "bounce_reason": "text",
}


def insert_new_subscribers(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows whose address is not present yet (in the caller's transaction);
    return the addresses inserted. Each row holds exactly the keys of COLUMNS."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        return _on_postgresql(session, rows)
    return _on_sqlite(session, rows)


def _on_sqlite(session: Session, values: list[dict[str, Any]]) -> set[str]:
    # On the connection: Core's executemany, without the ORM's bookkeeping; with RETURNING,
    # SQLAlchemy sends a thousand rows a statement.
    statement = sqlite.insert(Subscriber).on_conflict_do_nothing(index_elements=["email"])
    result = session.connection().execute(statement.returning(Subscriber.email), values)
    return set(result.scalars())


def _on_postgresql(session: Session, values: list[dict[str, Any]]) -> set[str]:
    # One array per column, unnested into rows: a statement of eleven parameters. A
    # thousand rows of `VALUES (...)` makes psycopg parse 11,000 placeholders, which took
    # ten times longer than the insert itself.
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in COLUMNS.items())
    statement = text(
        f"INSERT INTO subscribers ({', '.join(COLUMNS)}) SELECT * FROM unnest({arrays}) "
        "ON CONFLICT (email) DO NOTHING RETURNING email"
    )
    columns = {name: [row[name] for row in values] for name in COLUMNS}
    return set(session.execute(statement, columns).scalars())
