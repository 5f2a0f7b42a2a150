"""Command-line verbs for the newsletter: `flask newsletter preview|send|status|cancel`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import click

from portal import newsletter
from portal.commands.groups import SchemaGroup
from portal.models import Edition

newsletter_cli = SchemaGroup("newsletter", help="Preview, send and follow the edition email.")


def _edition(slug: str | None, latest: bool = False) -> Edition:
    try:
        return newsletter.choose_edition(slug, latest)
    except newsletter.NewsletterError as error:
        raise click.ClickException(str(error)) from None


@newsletter_cli.command("preview")
@click.argument("slug")
@click.option("--to", "addresses", multiple=True, help="Send the test email here (repeatable).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write a .eml.")
def preview_command(slug: str, addresses: tuple[str, ...], output: Path | None) -> None:
    """Send SLUG as a subscriber would get it, subject `[TEST] ...`, to any addresses (or
    write it with --output); nothing is recorded as delivered."""
    if not addresses and output is None:
        raise click.UsageError("give --to ADDRESS (one or more) or --output FILE.eml.")
    edition = _edition(slug)
    try:
        count = newsletter.preview(edition, addresses, output)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"the test email did not go: {error}") from None
    where = f"written to {output}" if output else f"sent to {count} address(es)"
    click.echo(f"Test email of {edition.slug!r} {where}; nothing recorded as delivered.")


@newsletter_cli.command("send")
@click.argument("slug", required=False)
@click.option("--latest", is_flag=True, help="Send the newest edition.")
@click.option("--due", is_flag=True, help="Send every scheduled edition that came due (timers).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def send_command(slug: str | None, latest: bool, due: bool, yes: bool) -> None:
    """Deliver SLUG (or --latest) to every confirmed subscriber, each once; run it again to
    resume a paused or interrupted send."""
    if due:
        if slug or latest:
            raise click.UsageError("--due sends what is scheduled; give no SLUG or --latest.")
        editions = newsletter.due_editions()
        if not editions:
            click.echo("Nothing scheduled has come due.")
        for edition in editions:
            _send(edition)
        return
    edition = _edition(slug, latest)
    _confirm(edition, yes)
    _send(edition)


def _confirm(edition: Edition, yes: bool) -> None:
    if yes:
        return
    count = newsletter.recipients_to_go(edition)
    if not sys.stdin.isatty():
        raise click.ClickException(
            f"not sending {edition.slug!r} to {count} subscriber(s) without confirmation: "
            "no terminal to ask on; add --yes."
        )
    question = f"Send {edition.title!r} ({edition.slug}) to {count} subscriber(s)?"
    if not click.confirm(question, default=False):
        raise click.ClickException("not sent.")


def _send(edition: Edition) -> None:
    with ExitStack() as stack:

        def bar(length: int) -> Callable[[int], None]:
            # Only on a terminal: a timer's log gets the summary line alone.
            hidden = not sys.stdout.isatty()
            shown = stack.enter_context(
                click.progressbar(length=length, label="Sending", hidden=hidden)
            )
            return shown.update

        try:
            result = newsletter.send_edition(edition, bar)
        except newsletter.NewsletterError as error:
            raise click.ClickException(str(error)) from None
    click.echo(_summary(result))
    if result.tally.paused:
        raise click.ClickException(
            f"{result.tally.paused}. Fix the cause, then run `flask newsletter send "
            f"{result.slug}` to resume."
        )


def _summary(result: newsletter.SendResult) -> str:
    c = result.counts
    counts = (
        f"{c['delivered']} delivered, {c['waiting']} waiting, {c['failed']} failed, "
        f"{c['bounced']} bounced, {c['skipped']} skipped of {c['audience']}"
    )
    if result.nothing_left:
        return f"{result.slug}: nothing left to send ({counts})."
    t = result.tally
    rate = t.delivered / result.seconds if result.seconds else 0.0
    return (
        f"{result.slug}: {counts}; this run sent {t.delivered} in {result.seconds:.1f} s "
        f"({rate:.1f}/s), {t.retried} to retry."
    )


@newsletter_cli.command("status")
@click.argument("slug", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object (a list without SLUG).")
@click.option("--failed", is_flag=True, help="List who did not get it and why.")
def status_command(slug: str | None, as_json: bool, failed: bool) -> None:
    """Show each send: state, audience, delivered, waiting, failed, bounced, skipped."""
    edition = _edition(slug) if slug else None
    found = newsletter.statuses(edition)
    if as_json:
        objects = [status.as_json() for status in found]
        if slug:
            unsent = dict.fromkeys(newsletter.STATUS_KEYS[1:], 0)
            click.echo(json.dumps(objects[0] if objects else {"edition": slug} | unsent))
        else:
            click.echo(json.dumps(objects))
        return
    if not found:
        click.echo(f"{slug}: not sent or scheduled." if slug else "No edition sent yet.")
    for status in found:
        click.echo(_status_line(status))
        if failed:
            for line in newsletter.failed_lines(status.record.edition_id):
                click.echo(f"  {line}")


def _status_line(status: newsletter.EditionStatus) -> str:
    record, c = status.record, status.counts
    state = record.state
    if state == "scheduled" and record.due_at:
        state = f"scheduled for {record.due_at:%Y-%m-%d %H:%M} UTC (`flask newsletter send --due`)"
    elif state == "draft":
        state = f"ready (draft): `flask newsletter send {status.slug}`"
    elif state == "sending" and c["waiting"] and not status.claimed:
        state = f"sending, but no sender at work: `flask newsletter send {status.slug}` resumes it"
    note = f" - {record.note}" if record.note and record.state == "paused" else ""
    counts = ", ".join(f"{key} {c[key]}" for key in newsletter.STATUS_KEYS[1:])
    return f"{status.slug}: {state}; {counts}{note}"


@newsletter_cli.command("cancel")
@click.argument("slug")
def cancel_command(slug: str) -> None:
    """Cancel SLUG's draft, scheduled or running send (`send SLUG` starts it again)."""
    edition = _edition(slug)
    was = newsletter.cancel(edition.id)
    if was is None:
        raise click.ClickException(f"{slug!r} has no send to cancel.")
    if was == "done":
        raise click.ClickException(f"{slug!r} was already sent to everyone; nothing to cancel.")
    click.echo(f"{slug}: {was} send cancelled.")
