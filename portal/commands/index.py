"""`flask index ...`: rebuild, update and check this host's search index."""

from __future__ import annotations

import click

from portal import search
from portal.commands.common import update_search_index
from portal.commands.groups import SchemaGroup
from portal.db import get_session

# Every command of the group checks the database's schema first (portal/commands/groups.py).
index_cli = SchemaGroup("index", help="Build, update and check the search index.")


@index_cli.command("rebuild")
def index_rebuild_command() -> None:
    """Build the whole index beside the live one and swap it in; searches go on meanwhile."""
    session = get_session()
    total = len(search.database_hashes(session))
    with click.progressbar(length=total, label="Indexing", hidden=total < 10) as bar:
        try:
            count = search.rebuild_index(session, bar.update)
        except search.IndexBusy as error:
            raise click.ClickException(str(error)) from None
    click.echo(
        f"Search index rebuilt: {total} editions, {count} documents, in {search.index_folder()}."
    )


@index_cli.command("update")
def index_update_command() -> None:
    """Re-index only the editions that changed since the last run (builds the index if missing)."""
    update_search_index()


@index_cli.command("check")
def index_check_command() -> None:
    """Compare the index with the database; exit 1 when they disagree."""
    try:
        problems = search.check_index(get_session())
    except search.IndexUnavailable as error:
        raise click.ClickException(str(error)) from None
    if problems:
        raise click.ClickException("the index disagrees with the database: " + "; ".join(problems))
    click.echo("Search index matches the database.")
