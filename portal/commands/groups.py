"""Command groups whose commands first check that the database's schema is the code's."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import exc

from portal.db import database_unavailable, first_line, read_schema_status


class SchemaGroup(AppGroup):
    """An AppGroup whose commands stop with one line on a database not migrated to the code's
    schema; `needs_schema=False` leaves out a command that never opens the database."""

    def command(  # type: ignore[override]
        self, *args: Any, needs_schema: bool = True, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Command]:
        """Register a command as AppGroup does, checking the schema before it runs."""
        register = super().command(*args, **kwargs)

        def decorator(f: Callable[..., Any]) -> click.Command:
            return register(_schema_checked(f) if needs_schema else f)

        return decorator


def _schema_checked(f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def checked(*args: Any, **kwargs: Any) -> Any:
        require_schema()
        return f(*args, **kwargs)

    return checked


def require_schema() -> None:
    """Raise a one-line ClickException when the schema is missing or behind the code's."""
    try:
        status = read_schema_status()
    except exc.SQLAlchemyError as error:
        if not database_unavailable(error):
            raise
        raise click.ClickException(f"the database is out of reach: {first_line(error)}") from None
    if not status.usable:
        raise click.ClickException(status.message)
    if status.message:
        click.echo(f"warning: {status.message}", err=True)
