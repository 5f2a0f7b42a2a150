"""Migration 0002 adds the subscriber tables on top of 0001 and takes them away, on both backends."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from portal.migrations import migrate
from tests.conftest import DatabaseFactory


def test_0002_upgrades_from_0001_and_downgrades_back(make_database: DatabaseFactory) -> None:
    engine = create_engine(make_database(migrated=False))
    migrate.upgrade(engine, "0001")
    assert "subscribers" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"subscribers", "outbox", "editions"} <= tables
    assert {i["name"] for i in inspect(engine).get_indexes("outbox")} == {
        "ix_outbox_due",
        "ix_outbox_subscriber_id",
    }
    with engine.begin() as connection:
        config = migrate._config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert {"subscribers", "outbox"}.isdisjoint(inspect(engine).get_table_names())
    assert "editions" in inspect(engine).get_table_names()
    engine.dispose()
