"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from portal.migrations import migrate
from portal.models import Base
from tests.conftest import DatabaseFactory


def test_migrated_schema_matches_the_models(make_database: DatabaseFactory) -> None:
    engine = create_engine(make_database(migrated=False))
    migrate.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_upgrade_twice_is_safe(make_database: DatabaseFactory) -> None:
    engine = create_engine(make_database(migrated=False))
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert {"editions", "links", "sources", "themes", "alembic_version"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()
