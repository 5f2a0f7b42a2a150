"""Command-line verbs grouped by noun: `flask db ...`, `flask editions ...`, `flask index ...` and more."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

import index
from portal import search
from portal.commands.groups import SchemaGroup
from portal.commands.subscribers import outbox_cli, subscribers_cli
from portal.db import get_engine, get_session, write_transaction
from portal.demo.editions import write_demo_archive
from portal.importing import feed_sync
from portal.importing.catalogue import ThemeEntry, load_catalogue
from portal.importing.files import collect_edition_files
from portal.importing.formats.markdown import render_markdown
from portal.importing.formats.published import parse_published
from portal.importing.records import DocumentOutcome, EditionFileError, Problem
from portal.importing.run import ImportReport, import_documents, validate_files, write_editions
from portal.importing.store import all_edition_exports
from portal.tagging.apply import ApplyReport, apply_proposals
from portal.tagging.suggest import Survey, UntaggedLink, survey_files

db_cli = AppGroup("db", help="Create and migrate the database.")
# Every command of these groups checks the database's schema first (portal/commands/groups.py).
editions_cli = SchemaGroup("editions", help="Import, export and generate edition files.")
index_cli = SchemaGroup("index", help="Build, update and check the search index.")
themes_cli = SchemaGroup("themes", help="Tag the links in edition files with themes.")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(editions_cli)
    app.cli.add_command(index_cli)
    app.cli.add_command(themes_cli)
    app.cli.add_command(subscribers_cli)
    app.cli.add_command(outbox_cli)


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


def _catalogue() -> list[ThemeEntry]:
    path = Path(current_app.config["THEMES_FILE"])
    try:
        return load_catalogue(path)
    except EditionFileError as error:
        raise click.ClickException(f"the theme catalogue is not usable: {error}") from None


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
    files, missing = collect_edition_files(list(paths))
    catalogue = _catalogue()
    with click.progressbar(length=len(files), label="Checking ", hidden=len(files) < 10) as bar:
        good, report = validate_files(
            files, {t.slug for t in catalogue}, date and date.date(), bar.update, strict=strict
        )
    with click.progressbar(good, label="Importing", hidden=len(good) < 10) as editions:
        write_editions(editions, catalogue, report)
    if report.changed_slugs:
        _update_index()
    _finish(report, missing)


def _finish(report: ImportReport, missing: list[Problem]) -> None:
    for skipped in report.skipped:
        click.echo(f"skipped: {skipped}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in missing + report.problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(f"Imported: {report.summary()}.")
    if report.rejected or missing:
        failed = report.rejected + len(missing)
        raise click.ClickException(
            f"{failed} path(s) not imported; fix the lines above and import again."
        )


@editions_cli.command("sync")
@click.argument("url")
@click.option(
    "--pages",
    default=1,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Also follow WordPress's ?paged=2, 3, ... to backfill older editions.",
)
@click.option("--strict", is_flag=True, help="Reject an edition whose import dropped anything.")
def sync_command(url: str, pages: int, strict: bool) -> None:
    """Import new and changed editions from the site's RSS or Atom feed at URL."""
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
    report = import_documents(outcomes, _catalogue(), strict=strict)
    if report.changed_slugs:
        _update_index()
    with write_transaction() as session:
        feed_sync.remember(session, url, first)
    click.echo(f"feed {url}: {len(outcomes)} page(s) read.")
    _finish(report, [])


def _fetch(url: str, state: feed_sync.FeedState | None) -> feed_sync.Fetched:
    try:
        return feed_sync.fetch(url, state)
    except feed_sync.FeedError as error:
        raise click.ClickException(f"feed {url}: {error}") from None


def _parse(url: str, fetched: feed_sync.Fetched) -> DocumentOutcome:
    """Parse one fetched page; a 404 page is an empty outcome, a page that is no feed an error."""
    if fetched.body is None:
        return DocumentOutcome(Path(url))
    outcome = parse_published(fetched.body, Path(url))
    if outcome is None:
        raise click.ClickException(f"feed {url}: not an RSS or Atom feed")
    return outcome


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
    themes = [theme.slug for theme in _catalogue()]
    written = write_demo_archive(folder, count, themes)
    click.echo(f"Wrote {written} demo editions to {folder}.")


def _update_index() -> None:
    try:
        changed, removed = search.update_index(get_session())
    except index.IndexBusy as error:
        raise click.ClickException(f"{error}; run `flask index update` when it is done.") from None
    click.echo(f"Search index: {len(changed)} editions re-indexed, {len(removed)} removed.")


@index_cli.command("rebuild")
def index_rebuild_command() -> None:
    """Build the whole index beside the live one and swap it in; searches go on meanwhile."""
    session = get_session()
    total = len(search.database_hashes(session))
    with click.progressbar(length=total, label="Indexing", hidden=total < 10) as bar:
        try:
            count = search.rebuild_index(session, bar.update)
        except index.IndexBusy as error:
            raise click.ClickException(str(error)) from None
    click.echo(
        f"Search index rebuilt: {total} editions, {count} documents, in {search.index_folder()}."
    )


@index_cli.command("update")
def index_update_command() -> None:
    """Re-index only the editions that changed since the last run (builds the index if missing)."""
    _update_index()


@index_cli.command("check")
def index_check_command() -> None:
    """Compare the index with the database; exit 1 when they disagree."""
    try:
        problems = search.check_index(get_session())
    except index.IndexUnavailable as error:
        raise click.ClickException(str(error)) from None
    if problems:
        raise click.ClickException("the index disagrees with the database: " + "; ".join(problems))
    click.echo("Search index matches the database.")


@themes_cli.command("suggest", needs_schema=False)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--apply", "apply_", is_flag=True, help="Ask about each proposal; write the accepted."
)
@click.option("--yes", is_flag=True, help="With --apply: accept every proposal without asking.")
def suggest_command(paths: tuple[Path, ...], apply_: bool, yes: bool) -> None:
    """List links with no theme in PATHS (default: the catalogue's folder) and propose themes."""
    if yes and not apply_:
        raise click.UsageError("--yes only makes sense with --apply.")
    default = Path(current_app.config["THEMES_FILE"]).parent
    files, missing = collect_edition_files(list(paths) or [default])
    catalogue = _catalogue()
    with click.progressbar(length=len(files), label="Reading", hidden=len(files) < 10) as bar:
        survey = survey_files(files, catalogue, bar.update)
    for link in survey.untagged:
        _echo_untagged(link)
    accepted = _accepted(survey.untagged, ask=not yes) if apply_ else []
    _finish_suggest(survey, missing, apply_proposals(accepted))


def _echo_untagged(link: UntaggedLink) -> None:
    click.echo(f"{link.path}:{link.line}: {link.place()}, {link.headline!r}")
    for proposal in link.proposals:
        click.echo(f"    {proposal.slug} (matched: {', '.join(proposal.words)})")
    if not link.proposals:
        click.echo("    no keyword of the theme catalogue matches")


def _accepted(untagged: list[UntaggedLink], *, ask: bool) -> list[tuple[UntaggedLink, str]]:
    """Return the proposals the editor accepts: each one asked about, or all with --yes."""
    proposals = [(link, proposal.slug) for link in untagged for proposal in link.proposals]
    return [
        (link, slug)
        for link, slug in proposals
        if not ask
        or click.confirm(f"Tag {link.headline!r} ({link.path.name}:{link.line}) with {slug}?")
    ]


def _finish_suggest(survey: Survey, missing: list[Problem], report: ApplyReport) -> None:
    for path in survey.plain_text:
        click.echo(f"skipped {path}: plain text carries no themes (import, then export it)")
    proposed = sum(1 for link in survey.untagged if link.proposals)
    untagged = _plural(len(survey.untagged), "link")
    click.echo(f"{untagged} without a theme; themes proposed for {proposed}.")
    if report.links:
        click.echo(
            f"Wrote themes for {_plural(report.links, 'link')} into {_plural(report.files, 'file')}; "
            "import them to update the site."
        )
    problems = missing + survey.problems + report.problems
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s); see the lines above.")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
