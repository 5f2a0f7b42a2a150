"""Command-line verbs grouped by noun: `flask db ...`, `flask editions ...`, and more."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal import migrate
from portal.db import get_engine, get_session
from portal.importing.catalogue import ThemeEntry, load_catalogue
from portal.importing.demo import write_demo_archive
from portal.importing.files import collect_edition_files
from portal.importing.markdown import render_markdown
from portal.importing.records import EditionFileError, Problem
from portal.importing.run import ImportReport, validate_files, write_editions
from portal.importing.store import all_edition_records
from portal.subscriptions.commands import outbox_cli, subscribers_cli

db_cli = AppGroup("db", help="Create and migrate the database.")
editions_cli = AppGroup("editions", help="Import, export and generate edition files.")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(editions_cli)
    app.cli.add_command(subscribers_cli)
    app.cli.add_command(outbox_cli)


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """Create the database or bring its schema up to date (safe to run again)."""
    migrate.upgrade(get_engine())
    click.echo("Database schema is up to date.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
def revision_command(message: str) -> None:
    """Write a migration for the difference between the models and the database."""
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
def import_command(paths: tuple[Path, ...], date: dt.datetime | None) -> None:
    """Import edition files (Markdown or plain text) and folders of them."""
    files, missing = collect_edition_files(list(paths))
    catalogue = _catalogue()
    with click.progressbar(length=len(files), label="Checking ", hidden=len(files) < 10) as bar:
        good, report = validate_files(
            files, {t.slug for t in catalogue}, date and date.date(), bar.update
        )
    with click.progressbar(good, label="Importing", hidden=len(good) < 10) as editions:
        write_editions(get_session(), editions, catalogue, report)
    _finish(report, missing)


def _finish(report: ImportReport, missing: list[Problem]) -> None:
    for problem in missing + report.problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(f"Imported: {report.summary()}.")
    if report.rejected or missing:
        failed = report.rejected + len(missing)
        raise click.ClickException(
            f"{failed} path(s) not imported; fix the lines above and import again."
        )


@editions_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_command(folder: Path) -> None:
    """Write every edition to FOLDER as <slug>.md in the archive format."""
    folder.mkdir(parents=True, exist_ok=True)
    records = all_edition_records(get_session())
    for record in records:
        (folder / f"{record.slug}.md").write_text(render_markdown(record), encoding="utf-8")
    click.echo(f"Exported {len(records)} editions to {folder}.")


@editions_cli.command("demo")
@click.option("--count", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def demo_command(count: int, folder: Path) -> None:
    """Write COUNT synthetic editions (marked DEMO DATA) into FOLDER."""
    themes = [theme.slug for theme in _catalogue()]
    written = write_demo_archive(folder, count, themes)
    click.echo(f"Wrote {written} demo editions to {folder}.")
