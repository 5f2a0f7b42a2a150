"""`flask db ...`: create the database and migrate its schema."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.db import get_engine

db_cli = AppGroup("db", help="Create and migrate the database.")


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """Create the database or bring its schema up to date (safe to run again)."""
    # Alembic only here: memory a web worker need not carry (docs/benchmarks.md).
    from portal.migrations import migrate

    migrate.upgrade(get_engine())
    click.echo("Database schema is up to date.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
def revision_command(message: str) -> None:
    """Write a migration for the difference between the models and the database."""
    from portal.migrations import migrate

    migrate.revision(get_engine(), message)
