"""Helpers every command group shares: the theme catalogue and the search index update."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from portal import search
from portal.db import get_session
from portal.editions.catalogue import ThemeEntry, load_catalogue
from portal.editions.records import EditionFileError


def theme_catalogue() -> list[ThemeEntry]:
    """Return the theme catalogue (THEMES_FILE), or stop with what is wrong with it."""
    path = Path(current_app.config["THEMES_FILE"])
    try:
        return load_catalogue(path)
    except EditionFileError as error:
        raise click.ClickException(f"the theme catalogue is not usable: {error}") from None


def update_search_index() -> None:
    """Re-index the editions that changed and print how many; a busy index is a clear error."""
    try:
        changed, removed = search.content_changed(get_session())
    except search.IndexBusy as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Search index: {len(changed)} editions re-indexed, {len(removed)} removed.")


def plural(count: int, word: str) -> str:
    """Return "1 link", "2 links"."""
    return f"{count} {word}{'' if count == 1 else 's'}"
