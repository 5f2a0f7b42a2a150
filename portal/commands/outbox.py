"""`flask outbox ...`: send queued emails, inspect the queue, retry failed ones."""

from __future__ import annotations

import click

from portal.commands.groups import SchemaGroup
from portal.subscriptions import outbox

outbox_cli = SchemaGroup("outbox", help="Send queued emails and inspect the queue.")


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
