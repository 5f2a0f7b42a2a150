"""Command-line verbs for subscribers and the outbox: `flask subscribers ...`, `flask outbox ...`."""

from __future__ import annotations

import sys

import click
from flask import current_app

from portal.commands.groups import SchemaGroup
from portal.models import SUBSCRIBER_STATUSES
from portal.subscriptions import outbox, records
from portal.subscriptions.addresses import InvalidInput, normalise_address
from portal.subscriptions.transport import erase_mail_files, mail_folder

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


@outbox_cli.command("send")
def send_command() -> None:
    """Send every queued email that is due; failures wait longer each time (run it on a timer)."""
    _send_due()


def _send_due() -> None:
    report = outbox.send_due(outbox.current_transport())
    click.echo(f"Sent {report.sent}, failed {report.failed}.")
    if report.failed:
        raise click.ClickException(
            f"{report.failed} email(s) could not be sent: queued for a later attempt, or "
            "failed after PORTAL_OUTBOX_MAX_ATTEMPTS; see `flask outbox status`."
        )


@outbox_cli.command("status")
def status_command() -> None:
    """Print the queue: sent, queued, due now, failed, and each message that has failed."""
    status = outbox.outbox_status()
    sent, queued, failed = (status.counts.get(name, 0) for name in ("sent", "queued", "failed"))
    click.echo(
        f"Outbox: {sent} sent, {queued} queued ({status.due} due now), {failed} failed (given up)."
    )
    for row in status.failing:
        # The subscriber's id, not the address: this output may end up in a log.
        what = f"  #{row.id} {row.kind} to subscriber {row.subscriber_id}"
        if row.status == "failed":
            click.echo(
                f"{what}: gave up after {row.attempts} attempt(s); last error: {row.last_error}"
            )
            continue
        wait = max(0, int((row.next_attempt_at - status.now).total_seconds()))
        click.echo(
            f"{what}: {row.attempts} failed attempt(s), next in {wait} s; "
            f"last error: {row.last_error}"
        )


@outbox_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Retry every failed email.")
def retry_command(ids: tuple[int, ...], every: bool) -> None:
    """Queue failed emails (IDS from `flask outbox status`, or --all) again and send them."""
    if every == bool(ids):
        raise click.ClickException(
            "Name the failed emails to retry (their #ids in `flask outbox status`) or pass --all."
        )
    try:
        count = outbox.requeue_failed(None if every else ids)
    except LookupError as missing:
        raise click.ClickException(
            f"No failed email has the id {missing}; see `flask outbox status`. Nothing retried."
        ) from None
    click.echo(f"Queued {count} failed email(s) again.")
    _send_due()
