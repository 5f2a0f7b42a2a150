"""`flask editions ...`: import, sync, export and generate edition files."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from pathlib import Path

import click
from flask import current_app

from portal import newsletter
from portal.commands.common import theme_catalogue
from portal.commands.groups import SchemaGroup
from portal.db import get_session, write_transaction
from portal.demo.editions import write_demo_archive
from portal.editions.markdown import render_markdown
from portal.editions.store import all_edition_exports
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

# Every command of the group checks the database's schema first (portal/commands/groups.py).
editions_cli = SchemaGroup("editions", help="Import, export and generate edition files.")


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
    failure = report.failure()
    if failure:
        raise click.ClickException(failure)
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
    if not feed_sync.refused_whole(outcomes[0]):  # a feed cut short is fetched whole next time
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
