"""Mail that keeps failing is given up as `failed`, shown, and retried on request; claims and
retry times follow the database's clock, not the sending host's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import update

from portal.db import get_session
from portal.models import OutboxMessage
from portal.subscriptions import outbox
from portal.subscriptions.clock import database_now
from tests.conftest import AppFactory
from tests.portal.subscriptions.test_outbox import rows, run
from tests.support.signup_helpers import Mailbox, mail_settings, sign_up

REJECTED = "554 Transaction failed"


def refusing_app(make_app: AppFactory, mailbox: Mailbox, tmp_path: Path, cap: int) -> Flask:
    """Return an app giving up after `cap` attempts, its SMTP server refusing every message."""
    mailbox.reply = REJECTED
    return make_app(**mail_settings(mailbox.port, tmp_path) | {"OUTBOX_MAX_ATTEMPTS": cap})


def make_due(app: Flask, **values: object) -> None:
    """Set every outbox row's next attempt to the database's now (and any other values)."""
    with app.app_context():
        session = get_session()
        session.execute(update(OutboxMessage).values(next_attempt_at=database_now(), **values))
        session.commit()


@pytest.mark.parametrize("cap", [1, 2, 4])
def test_mail_that_always_fails_stops_at_the_cap_and_shows_as_failed(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: Path, cap: int
) -> None:
    app = refusing_app(make_app, mailbox, tmp_path, cap)
    sign_up(app.test_client(), "reader@example.com")  # the first attempt, after the answer
    for _ in range(cap - 1):
        make_due(app)
        assert run(app, "outbox", "send")[0] == 1
    [row] = rows(app)
    assert (row.status, row.attempts) == ("failed", cap) and "554" in (row.last_error or "")
    make_due(app)  # even when due by its time, a failed message is not tried again
    assert run(app, "outbox", "send") == (0, "Sent 0, failed 0.\n")
    assert rows(app)[0].attempts == cap and mailbox.received == []
    code, output = run(app, "outbox", "status")
    assert code == 0 and "0 sent, 0 queued (0 due now), 1 failed (given up)" in output
    assert (
        f"#1 confirmation to subscriber 1: gave up after {cap} attempt(s); "
        "last error: SMTPDataError: 554 Transaction failed"
    ) in output


def test_retry_sends_failed_mail_again(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: Path
) -> None:
    app = refusing_app(make_app, mailbox, tmp_path, 1)
    client = app.test_client()
    for address in ("one@example.com", "two@example.com", "three@example.com"):
        sign_up(client, address)
    assert [row.status for row in rows(app)] == ["failed"] * 3
    mailbox.reply = "250 OK"
    for args, message in [
        ((), "Name the failed emails to retry"),
        (("--all", "1"), "Name the failed emails to retry"),
        (("1", "99"), "No failed email has the id #99; see `flask outbox status`. Nothing"),
    ]:
        code, output = run(app, "outbox", "retry", *args)
        assert code == 1 and message in output and "Traceback" not in output, output
    assert [row.status for row in rows(app)] == ["failed"] * 3 and mailbox.received == []
    assert run(app, "outbox", "retry", "2") == (
        0,
        "Queued 1 failed email(s) again.\nSent 1, failed 0.\n",
    )
    assert [r.recipients for r in mailbox.received] == [["two@example.com"]]
    assert run(app, "outbox", "retry", "2")[0] == 1  # sent now, so no longer failed
    assert run(app, "outbox", "retry", "--all") == (
        0,
        "Queued 2 failed email(s) again.\nSent 2, failed 0.\n",
    )
    assert [(row.status, row.attempts) for row in rows(app)] == [("sent", 1)] * 3
    assert len(mailbox.received) == 3


@pytest.mark.parametrize("skew", [dt.timedelta(days=1), dt.timedelta(minutes=5)])
def test_a_host_whose_clock_runs_ahead_neither_steals_claims_nor_sends_early(
    make_app: AppFactory,
    mailbox: Mailbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    skew: dt.timedelta,
) -> None:
    app = refusing_app(make_app, mailbox, tmp_path, 10)
    sign_up(app.test_client(), "reader@example.com")
    make_due(app)
    assert run(app, "outbox", "send")[0] == 1  # second failure: the next try in a minute
    mailbox.reply = "250 OK"
    ahead = dt.datetime.now(dt.UTC) + skew
    monkeypatch.setattr(outbox, "utcnow", lambda: ahead)
    assert run(app, "outbox", "send") == (0, "Sent 0, failed 0.\n")  # not due yet
    # Another sender is delivering it right now: its claim holds for minutes more.
    make_due(app, claimed_until=database_now(120))
    assert run(app, "outbox", "send") == (0, "Sent 0, failed 0.\n")
    assert mailbox.received == []
    make_due(app, claimed_until=database_now(-1))  # that sender died: its claim ran out
    assert run(app, "outbox", "send") == (0, "Sent 1, failed 0.\n")
