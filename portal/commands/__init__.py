"""The command line: one module per command group (`flask db ...`, `flask editions ...`, ...)."""

from __future__ import annotations

from flask import Flask

from portal.commands.database import db_cli
from portal.commands.editions import editions_cli
from portal.commands.index import index_cli
from portal.commands.newsletter import newsletter_cli
from portal.commands.outbox import outbox_cli
from portal.commands.subscribers import subscribers_cli
from portal.commands.themes import themes_cli

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register every command group."""
    groups = (
        db_cli,
        editions_cli,
        index_cli,
        themes_cli,
        subscribers_cli,
        outbox_cli,
        newsletter_cli,
    )
    for group in groups:
        app.cli.add_command(group)
