"""Command-line verbs for subscribers and the outbox: `flask subscribers ...`, `flask outbox ...`."""

from __future__ import annotations

import sys

import click

from portal.commands.groups import SchemaGroup
from portal.models import SUBSCRIBER_STATUSES
from portal.subscriptions import outbox, records
from portal.subscriptions.addresses import InvalidInput, normalise_address

subscribers_cli = SchemaGroup("subscribers", help="Export, count and erase subscribers.")
outbox_cli = SchemaGroup("outbox", help="Send queued emails and inspect the queue.")


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
    """Erase EMAIL's subscriber record and every email queued or sent to it."""
    try:
        address = normalise_address(email)
    except InvalidInput as error:
        raise click.ClickException(f"{email!r} is not an email address: {error}") from None
    if not records.forget(address):
        raise click.ClickException(f"No subscriber has the address {address}; nothing erased.")
    click.echo(f"Erased {address} and the emails sent to it.")


@subscribers_cli.command("stats")
def stats_command() -> None:
    """Print how many subscribers have each status."""
    counts = records.counts_by_status()
    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    click.echo(f"Subscribers: {summary} ({sum(counts.values())} in all).")


@outbox_cli.command("send")
def send_command() -> None:
    """Send every queued email that is due; failures wait longer each time (run it on a timer)."""
    report = outbox.send_due(outbox.current_transport())
    click.echo(f"Sent {report.sent}, failed {report.failed}.")
    if report.failed:
        raise click.ClickException(
            f"{report.failed} email(s) could not be sent and stay queued; "
            "see `flask outbox status`."
        )


@outbox_cli.command("status")
def status_command() -> None:
    """Print the queue: sent, queued, due now, and each message that has failed."""
    now = outbox.utcnow()
    status = outbox.outbox_status(now)
    click.echo(f"Outbox: {status.sent} sent, {status.queued} queued ({status.due} due now).")
    for row in status.failing:
        wait = max(0, int((row.next_attempt_at - now).total_seconds()))
        click.echo(
            f"  #{row.id} {row.kind} to {row.recipient}: {row.attempts} failed attempt(s), "
            f"next in {wait} s; last error: {row.last_error}"
        )
