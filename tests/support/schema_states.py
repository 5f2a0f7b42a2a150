"""Databases in each state an operator may meet: never migrated, behind the code, newer than it."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from portal.migrations import migrate

# A revision no migration of the code has: the database was migrated by newer code.
NEWER_REVISION = "ffff_newer_code"
STATES = ("missing", "behind", "unknown")


def previous_revision() -> str:
    """Return the revision just before the code's head, from Alembic's own reading."""
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    config.set_main_option("path_separator", "os")
    script = ScriptDirectory.from_config(config)
    head = script.get_revision(script.get_current_head())
    assert head is not None and isinstance(head.down_revision, str), "one chain of migrations"
    return head.down_revision


def put_in_state(url: str, state: str) -> str:
    """Bring a never-migrated database at `url` to `state` (one of STATES); return the URL."""
    assert state in STATES
    engine = create_engine(url)
    try:
        if state == "behind":
            migrate.upgrade(engine, previous_revision())
        elif state == "unknown":
            migrate.upgrade(engine)
            with engine.begin() as connection:
                connection.execute(
                    text(f"UPDATE alembic_version SET version_num = '{NEWER_REVISION}'")
                )
    finally:
        engine.dispose()
    return url
