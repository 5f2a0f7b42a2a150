"""`flask subscribers ...`: export, count and erase subscribers."""

from __future__ import annotations

import sys

import click
from flask import current_app

from portal.commands.groups import SchemaGroup
from portal.models import SUBSCRIBER_STATUSES
from portal.subscriptions import records
from portal.subscriptions.addresses import InvalidInput, normalise_address
from portal.subscriptions.transport import erase_mail_files, mail_folder

subscribers_cli = SchemaGroup("subscribers", help="Export, count and erase subscribers.")


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
