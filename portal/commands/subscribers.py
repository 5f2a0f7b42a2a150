"""`flask subscribers ...`: export, count and erase subscribers."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from portal.commands.common import plural
from portal.commands.groups import SchemaGroup
from portal.models import SUBSCRIBER_STATUSES
from portal.subscriptions import outbox, records
from portal.subscriptions.addresses import InvalidInput, normalise_address
from portal.subscriptions.bounces import Bounce, read_bounce_file, record_bounces
from portal.subscriptions.csv_import import (
    ImportFileError,
    ImportReport,
    count_lines,
    import_subscribers,
)
from portal.subscriptions.transport import erase_mail_files, mail_folder

subscribers_cli = SchemaGroup(
    "subscribers", help="Import, export, count and erase subscribers; record bounces."
)


@subscribers_cli.command("export")
@click.option(
    "--status",
    type=click.Choice(SUBSCRIBER_STATUSES),
    default="confirmed",
    show_default=True,
    help="Which subscribers to export.",
)
def export_command(status: str) -> None:
    """Write subscribers with one status to standard output as CSV."""
    count = records.export_csv(sys.stdout, status)
    click.echo(f"Exported {count} {status} subscribers.", err=True)


@subscribers_cli.command("forget")
@click.argument("email")
def forget_command(email: str) -> None:
    """Erase EMAIL's subscriber record, every email queued or sent to it, and its mail files."""
    try:
        address = normalise_address(email)
    except InvalidInput as error:
        raise click.ClickException(f"That is not an email address: {error}") from None
    # The address is not repeated in any answer: this output may end up in a log.
    subscriber = records.forget(address)
    folder = mail_folder(current_app.config, current_app.instance_path)
    files = erase_mail_files(folder, address) if folder.is_dir() else 0
    if not subscriber and not files:
        raise click.ClickException("No subscriber has that address; nothing erased.")
    erased = "the subscriber and the emails sent to them" if subscriber else "no subscriber"
    click.echo(f"Erased {erased}, and {files} mail file(s) in {folder}.")


@subscribers_cli.command("stats")
def stats_command() -> None:
    """Print how many subscribers have each status."""
    counts = records.counts_by_status()
    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    click.echo(f"Subscribers: {summary} ({sum(counts.values())} in all).")


@subscribers_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import subscribers from FILE.csv: columns email, first_name, status, confirmed_at,
    consent (listmonk's and Mailtrain's exports too). An address already here keeps its
    record; a bad row is reported with its line and skipped; exit 1 if any was."""
    lines = count_lines(file)
    # Drawn on a terminal only (standard error), for files worth waiting for.
    with click.progressbar(
        length=lines, label="Reading", hidden=lines < 10_000, file=sys.stderr
    ) as bar:
        try:
            report = import_subscribers(file, outbox.utcnow(), bar.update)
        except ImportFileError as error:
            raise click.ClickException(f"{file}: {error}. Nothing imported.") from None
    for note in report.warnings:
        click.echo(f"{file}:{note.line}: {note.message}", err=True)
    for note in report.rejected:
        click.echo(f"{file}:{note.line}: rejected: {note.message}", err=True)
    click.echo(_import_summary(report))
    if report.rejected:
        raise click.ClickException(
            f"{plural(len(report.rejected), 'row')} rejected (listed above): correct them and "
            "run the import again; what was imported stays, and is not imported twice."
        )


def _import_summary(report: ImportReport) -> str:
    by_status = ", ".join(f"{n} {status}" for status, n in sorted(report.imported.items()))
    parts = [f"Imported {plural(report.imported.total(), 'subscriber')}"]
    parts[0] += f" ({by_status})" if by_status else ""
    parts.append(f"{report.already_present} already here, kept as they were")
    if report.merged:
        parts.append(f"{plural(report.merged, 'repeated row')} merged (the strictest status kept)")
    parts.append(f"{plural(len(report.rejected), 'row')} rejected")
    if report.ignored_columns:
        parts.append(f"columns ignored: {', '.join(report.ignored_columns)}")
    return "; ".join(parts) + "."


@subscribers_cli.command("bounce")
@click.argument("emails", nargs=-1)
@click.option(
    "--file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A provider's bounce list: one address a line, optionally `,reason` after it.",
)
@click.option(
    "--reason",
    default="reported by the mail provider",
    show_default=True,
    help="The bounce reason kept for an address given without one.",
)
def bounce_command(emails: tuple[str, ...], file: Path | None, reason: str) -> None:
    """Record bounces a provider reports (EMAIL... or --file): those readers are never mailed again."""
    if not emails and file is None:
        raise click.ClickException(
            "Name the bounced addresses, or pass --file with a list of them."
        )
    given = [(f"argument {n}", email, reason) for n, email in enumerate(emails, 1)]
    if file is not None:
        with file.open(encoding="utf-8-sig") as lines:
            given += [(f"{file}:{n}", a, r) for n, a, r in read_bounce_file(lines, reason)]
    bounces, refused = [], 0
    for where, email, why in given:
        try:
            bounces.append((normalise_address(email), why))
        except InvalidInput as error:
            refused += 1
            click.echo(f"{where}: not an email address: {error}", err=True)
    done = record_bounces(bounces)
    click.echo(
        f"Bounces: {done[Bounce.RECORDED]} recorded, {done[Bounce.ALREADY]} already bounced, "
        f"{done[Bounce.UNKNOWN]} not subscribers, {refused} not addresses."
    )
    if refused:
        raise click.ClickException(f"{refused} address(es) could not be read (listed above).")
