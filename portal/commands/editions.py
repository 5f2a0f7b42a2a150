"""Command-line verbs grouped by noun: `flask db ...`, `flask editions ...`, `flask index ...` and more."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal import newsletter, search
from portal.commands.common import theme_catalogue, update_search_index
from portal.commands.groups import SchemaGroup
from portal.commands.newsletter import newsletter_cli
from portal.commands.subscribers import outbox_cli, subscribers_cli
from portal.commands.themes import themes_cli
from portal.db import get_engine, get_session, write_transaction
from portal.demo.editions import write_demo_archive
from portal.importing import (
    Bar,
    DocumentOutcome,
    ImportReport,
    detect_form,
    feed_sync,
    import_documents,
    import_paths,
    parse_document,
)
from portal.importing.formats.markdown import render_markdown
from portal.importing.store import all_edition_exports

db_cli = AppGroup("db", help="Create and migrate the database.")
# Every command of these groups checks the database's schema first (portal/commands/groups.py).
editions_cli = SchemaGroup("editions", help="Import, export and generate edition files.")
index_cli = SchemaGroup("index", help="Build, update and check the search index.")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(editions_cli)
    app.cli.add_command(index_cli)
    app.cli.add_command(themes_cli)
    app.cli.add_command(subscribers_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(newsletter_cli)


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """Create the database or bring its schema up to date (safe to run again)."""
    from portal.migrations import migrate  # Alembic only here: 11 MB a web worker need not carry

    migrate.upgrade(get_engine())
    click.echo("Database schema is up to date.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
def revision_command(message: str) -> None:
    """Write a migration for the difference between the models and the database."""
    from portal.migrations import migrate

    migrate.revision(get_engine(), message)


@editions_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date (YYYY-MM-DD) for plain-text editions whose text carries none.",
)
@click.option("--strict", is_flag=True, help="Reject an edition whose import dropped anything.")
def import_command(paths: tuple[Path, ...], date: dt.datetime | None, strict: bool) -> None:
    """Import editions: WordPress pages, RSS/Atom feeds, WordPress exports, Markdown, plain text."""
    report = import_paths(
        list(paths), theme_catalogue(), date=date and date.date(), strict=strict, stages=_bar
    )
    _finish(report)


def _bar(label: str, length: int) -> AbstractContextManager[Bar]:
    return click.progressbar(length=length, label=label, hidden=length < 10)


def _finish(report: ImportReport) -> None:
    if report.changed_slugs and not report.index_problem:
        changed, removed = report.reindexed
        click.echo(f"Search index: {changed} editions re-indexed, {removed} removed.")
    for skipped in report.skipped:
        click.echo(f"skipped: {skipped}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in report.missing + report.problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(f"Imported: {report.summary()}.")
    if report.rejected or report.missing:
        failed = report.rejected + len(report.missing)
        raise click.ClickException(
            f"{failed} path(s) not imported; fix the lines above and import again."
        )
    if report.index_problem:
        raise click.ClickException(report.index_problem)


@editions_cli.command("sync")
@click.argument("url", required=False)
@click.option(
    "--pages",
    default=1,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Also follow WordPress's ?paged=2, 3, ... to backfill older editions.",
)
@click.option("--strict", is_flag=True, help="Reject an edition whose import dropped anything.")
@click.option(
    "--warn-only",
    is_flag=True,
    help="Anything that goes wrong is a warning and exit 0 (for start-up, as in `make run`).",
)
def sync_command(url: str | None, pages: int, strict: bool, warn_only: bool) -> None:
    """Import new and changed editions from the site's RSS or Atom feed at URL
    (default: PORTAL_FEED_URL)."""
    url = url or current_app.config["FEED_URL"]
    if not url:
        if warn_only:
            click.echo("No feed to sync: PORTAL_FEED_URL is not set.")
            return
        raise click.UsageError("give the feed's URL, or set PORTAL_FEED_URL.")
    try:
        _sync(url, pages, strict)
    except click.ClickException as error:
        if not warn_only:
            raise
        click.echo(f"warning: {error.format_message()} (the portal serves what it holds)", err=True)


def _sync(url: str, pages: int, strict: bool) -> None:
    first = _fetch(url, feed_sync.feed_state(get_session(), url))
    if first.status == 304:
        click.echo(f"feed {url}: 304 not modified, nothing imported.")
        return
    if first.status == 404:
        raise click.ClickException(f"feed {url}: HTTP 404 Not Found")
    outcomes = [_parse(url, first)]
    for page in range(2, pages + 1):
        outcome = _parse(feed_sync.page_url(url, page), _fetch(feed_sync.page_url(url, page), None))
        if not (outcome.editions or outcome.skipped or outcome.rejected):
            break
        outcomes.append(outcome)
    # Autosend (PORTAL_NEWSLETTER_AUTOSEND) considers only what the feed's first page adds.
    with newsletter.feed_first_page([parsed.record.slug for parsed in outcomes[0].editions]):
        report = import_documents(outcomes, theme_catalogue(), strict=strict)
    with write_transaction() as session:
        feed_sync.remember(session, url, first)
    click.echo(f"feed {url}: {len(outcomes)} page(s) read.")
    _finish(report)


def _fetch(url: str, state: feed_sync.FeedState | None) -> feed_sync.Fetched:
    try:
        return feed_sync.fetch(url, state)
    except feed_sync.FeedError as error:
        raise click.ClickException(f"feed {url}: {error}") from None


def _parse(url: str, fetched: feed_sync.Fetched) -> DocumentOutcome:
    """Parse one fetched page; a 404 page is an empty outcome, a page that is no feed an error."""
    if fetched.body is None:
        return DocumentOutcome(Path(url))
    if detect_form(fetched.body) != "feed":
        raise click.ClickException(f"feed {url}: not an RSS or Atom feed")
    return parse_document(fetched.body, Path(url))


@editions_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_command(folder: Path) -> None:
    """Write every edition to FOLDER as <slug>.md in the archive format."""
    folder.mkdir(parents=True, exist_ok=True)
    records = all_edition_exports(get_session())
    for record, origin in records:
        text = render_markdown(record, origin=origin)
        (folder / f"{record.slug}.md").write_text(text, encoding="utf-8")
    click.echo(f"Exported {len(records)} editions to {folder}.")


@editions_cli.command("demo", needs_schema=False)
@click.option("--count", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def demo_command(count: int, folder: Path) -> None:
    """Write COUNT synthetic editions (marked DEMO DATA) into FOLDER."""
    themes = [theme.slug for theme in theme_catalogue()]
    written = write_demo_archive(folder, count, themes)
    click.echo(f"Wrote {written} demo editions to {folder}.")


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
