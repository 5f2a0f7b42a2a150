"""Migration 0008 lets outbox rows be `failed`, and its downgrade puts them back in the queue."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError

from portal.migrations import migrate
from tests.conftest import DatabaseFactory

INSERT = (
    "INSERT INTO outbox (kind, recipient, message, status, attempts, created_at, "
    "next_attempt_at) VALUES ('confirmation', 'r@example.com', '', :status, 10, "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


def insert(engine: Engine, status: str) -> None:
    """Insert one outbox row with this status."""
    with engine.begin() as connection:
        connection.execute(text(INSERT), {"status": status})


def downgrade_one(engine: Engine) -> None:
    """Undo the newest migration."""
    with engine.begin() as connection:
        config = migrate._config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")


def test_0008_allows_failed_and_its_downgrade_requeues_it(
    make_database: DatabaseFactory,
) -> None:
    engine = create_engine(make_database(migrated=False))
    migrate.upgrade(engine, "0008")
    insert(engine, "failed")
    with pytest.raises(IntegrityError):
        insert(engine, "lost")
    downgrade_one(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM outbox")).scalars().all() == ["queued"]
    with pytest.raises(IntegrityError):
        insert(engine, "failed")
    engine.dispose()
