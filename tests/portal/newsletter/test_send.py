"""`flask newsletter send` against a real SMTP server: each reader once, bounces, retries, pauses."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from portal.newsletter import STATUS_KEYS
from tests.conftest import AppFactory
from tests.portal.newsletter.delivery_helpers import (
    add_edition,
    add_subscribers,
    address,
    mail_config,
    send,
    status_json,
    subscriber_status,
)
from tests.support.smtp_server import Behaviour, SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """Return a running test SMTP server that behaves until told otherwise."""
    server = SmtpServer().start()
    yield server
    server.stop()


def _app(make_app: AppFactory, smtp: SmtpServer, confirmed: int, **more: object) -> Flask:
    app = make_app(**mail_config(smtp.port, **more))
    add_edition(app, "first")
    add_subscribers(app, range(confirmed))
    add_subscribers(app, range(1000, 1003), "pending")
    add_subscribers(app, range(2000, 2002), "unsubscribed")
    return app


def test_every_confirmed_reader_gets_it_once_and_a_second_run_sends_nothing(
    make_app: AppFactory, smtp: SmtpServer
) -> None:
    app = _app(make_app, smtp, 40)
    runner = app.test_cli_runner()
    result = send(runner, "first")
    assert result.exit_code == 0, result.output
    assert "first: 40 delivered, 0 waiting, 0 failed, 0 bounced, 0 skipped of 40" in result.output
    assert smtp.counts == {address(n): 1 for n in range(40)}
    # Many messages per connection: one EHLO per connection, not per message.
    assert smtp.connections <= 3
    status = status_json(runner, "first")
    assert tuple(status) == STATUS_KEYS
    assert status == {"edition": "first", "audience": 40, "delivered": 40, "waiting": 0} | {
        "failed": 0,
        "bounced": 0,
        "skipped": 0,
    }
    again = send(runner, "first")
    assert again.exit_code == 0, again.output
    assert "first: nothing left to send" in again.output
    assert sum(smtp.counts.values()) == 40


@pytest.mark.sqlite_only(reason="SMTP behaviour; the database side is the same on both")
def test_550_bounces_and_451_421_and_dropped_connections_are_retried_and_delivered_once(
    make_app: AppFactory,
) -> None:
    behaviour = Behaviour(
        refuse={address(3), address(7)},
        refuse_once={address(1), address(10)},
        drop_once={address(5), address(12)},
        reject={address(9)},
        busy_once={address(13)},
    )
    smtp = SmtpServer(behaviour).start()
    try:
        app = _app(make_app, smtp, 15)
        runner = app.test_cli_runner()
        result = send(runner, "first")
        assert result.exit_code == 0, result.output
        assert smtp.counts == {address(n): 1 for n in range(15) if n not in (3, 7, 9)}
        assert smtp.refusals[address(9)] == 1  # a refused message is not a bounced reader
        assert [smtp.refusals[address(n)] for n in (1, 5, 13)] == [1, 1, 1]
        assert subscriber_status(app, address(3)) == "bounced"
        assert subscriber_status(app, address(1)) == "confirmed"
        assert subscriber_status(app, address(9)) == "confirmed"
        status = status_json(runner, "first")
        assert (status["delivered"], status["bounced"], status["failed"]) == (12, 2, 1)
        assert status["waiting"] == 0
        listed = runner.invoke(args=["newsletter", "status", "first", "--failed"]).output
        assert f"<{address(3)}>: bounced: 550 5.1.1 no such mailbox" in listed
        assert f"<{address(9)}>: failed: 554 5.6.0 message refused" in listed
        stats = runner.invoke(args=["subscribers", "stats"]).output
        assert "2 bounced" in stats
    finally:
        smtp.stop()


@pytest.mark.sqlite_only(reason="SMTP behaviour; the database side is the same on both")
def test_a_run_of_failures_pauses_the_send_and_send_resumes_it(make_app: AppFactory) -> None:
    smtp = SmtpServer(Behaviour(refuse_all="421 4.7.0 too many messages")).start()
    try:
        app = _app(make_app, smtp, 12, MAIL_MAX_ERRORS=4)
        runner = app.test_cli_runner()
        paused = send(runner, "first")
        assert paused.exit_code == 1
        # Messages already in flight on the other connections may add to the run.
        run = re.search(r"paused after (\d+) failed messages in a row", paused.output)
        assert run and 4 <= int(run[1]) <= 4 + 3, paused.output
        assert "(PORTAL_MAIL_MAX_ERRORS is 4); the last: 421 4.7.0" in paused.output
        assert "run `flask newsletter send first` to resume" in paused.output
        status = runner.invoke(args=["newsletter", "status", "first"]).output
        assert "first: paused;" in status and "waiting 12" in status
        smtp.behaviour.refuse_all = None
        resumed = send(runner, "first")
        assert resumed.exit_code == 0, resumed.output
        assert smtp.counts == {address(n): 1 for n in range(12)}
    finally:
        smtp.stop()


@pytest.mark.sqlite_only(reason="the command line only")
def test_without_a_terminal_or_yes_it_refuses(make_app: AppFactory, smtp: SmtpServer) -> None:
    app = _app(make_app, smtp, 3)
    result = app.test_cli_runner().invoke(args=["newsletter", "send", "first"])
    assert result.exit_code == 1
    assert "not sending 'first' to 3 subscriber(s) without confirmation" in result.output
    assert "add --yes" in result.output
    assert not smtp.counts


@pytest.mark.sqlite_only(reason="the command line only")
def test_unknown_edition_and_missing_choice_are_clear_errors(
    make_app: AppFactory, smtp: SmtpServer
) -> None:
    runner = _app(make_app, smtp, 1).test_cli_runner()
    unknown = send(runner, "nope")
    assert unknown.exit_code == 1 and "no edition has the slug 'nope'" in unknown.output
    neither = runner.invoke(args=["newsletter", "send", "--yes"])
    assert neither.exit_code == 1 and "give its SLUG, or --latest" in neither.output
    latest = runner.invoke(args=["newsletter", "send", "--latest", "--yes"])
    assert latest.exit_code == 0 and "first: 1 delivered" in latest.output


@pytest.mark.sqlite_only(reason="pacing is the sender's own clock")
def test_mail_rate_holds_the_pace(make_app: AppFactory, smtp: SmtpServer) -> None:
    app = _app(make_app, smtp, 21, MAIL_RATE=20)
    started = time.monotonic()
    result = send(app.test_cli_runner(), "first")
    assert result.exit_code == 0, result.output
    # 21 messages at 20 a second: the last may go no sooner than one second after the first.
    assert time.monotonic() - started >= 1.0
    assert len(smtp.counts) == 21
