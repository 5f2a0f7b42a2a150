"""Who gets an edition: the audience recorded at the start, unsubscribes, previews to anyone."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import update
from werkzeug.serving import make_server

from portal.db import get_session
from portal.models import Subscriber
from portal.newsletter import sends
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
from tests.support.http_server import serving
from tests.support.signup_helpers import free_port
from tests.support.smtp_server import SmtpServer

pytestmark = pytest.mark.sqlite_only(reason="who is in the audience is the same on both")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """Return a running test SMTP server."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def served(make_app: AppFactory, smtp: SmtpServer) -> Iterator[Flask]:
    """Return an app served over real HTTP on 127.0.0.1, its BASE_URL that address."""
    port = free_port()
    app = make_app(**mail_config(smtp.port, BASE_URL=f"http://127.0.0.1:{port}"))
    server = make_server("127.0.0.1", port, app, threaded=True)
    with serving(server):
        yield app


def test_one_click_unsubscribe_from_the_email_then_the_next_edition_skips_that_reader(
    served: Flask, smtp: SmtpServer
) -> None:
    add_edition(served, "first")
    add_edition(served, "second")
    add_subscribers(served, range(5))
    runner = served.test_cli_runner()
    assert send(runner, "first").exit_code == 0
    [received] = smtp.to(address(2))
    headers = message_from_bytes(received.raw)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    # What a mail client does for its unsubscribe button (RFC 8058): a POST with this body.
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    assert subscriber_status(served, address(2)) == "unsubscribed"
    assert send(runner, "second").exit_code == 0
    assert len(smtp.to(address(2))) == 1
    assert {n: len(smtp.to(address(n))) for n in (0, 1, 3, 4)} == {0: 2, 1: 2, 3: 2, 4: 2}
    assert status_json(runner, "second")["audience"] == 4


def test_readers_who_leave_mid_send_get_nothing_more_and_later_confirmations_are_not_in_it(
    make_app: AppFactory, smtp: SmtpServer
) -> None:
    app = make_app(**mail_config(smtp.port))
    edition_id = add_edition(app, "first")
    add_subscribers(app, range(6))
    with app.app_context():
        assert sends.start_send(edition_id) == 6  # the audience is recorded here
        leaving = update(Subscriber).where(Subscriber.email == address(4))
        get_session().execute(leaving.values(status="unsubscribed"))
        get_session().commit()
    add_subscribers(app, range(10, 12))  # confirmed after the send began
    runner = app.test_cli_runner()
    stalled = runner.invoke(args=["newsletter", "status", "first"]).output
    assert "first: sending, but no sender at work: `flask newsletter send first`" in stalled
    result = send(runner, "first")
    assert result.exit_code == 0, result.output
    assert set(smtp.counts) == {address(n) for n in (0, 1, 2, 3, 5)}
    status = status_json(runner, "first")
    assert (status["audience"], status["delivered"], status["skipped"]) == (6, 5, 1)
    listed = runner.invoke(args=["newsletter", "status", "first", "--failed"]).output
    assert f"<{address(4)}>: skipped: no longer confirmed" in listed


def test_preview_goes_to_any_address_or_a_file_and_records_nothing(
    make_app: AppFactory, smtp: SmtpServer, tmp_path: Path
) -> None:
    app = make_app(**mail_config(smtp.port))
    add_edition(app, "first")
    add_subscribers(app, range(2))
    runner = app.test_cli_runner()
    args = ["newsletter", "preview", "first", "--to", "editor@example.org", "--to", "b@example.net"]
    sent = runner.invoke(args=args)
    assert sent.exit_code == 0, sent.output
    assert dict(smtp.counts) == {"editor@example.org": 1, "b@example.net": 1}
    assert str(smtp.to("b@example.net")[0].message["Subject"]).startswith("[TEST] ")
    eml = tmp_path / "first.eml"
    written = runner.invoke(args=["newsletter", "preview", "first", "--output", str(eml)])
    assert written.exit_code == 0, written.output
    assert message_from_bytes(eml.read_bytes())["Subject"].startswith("[TEST] PRODUCTHEAD: ")
    assert "No edition sent yet." in runner.invoke(args=["newsletter", "status"]).output
    assert status_json(runner, "first") == {"edition": "first", "audience": 0} | dict.fromkeys(
        ("delivered", "waiting", "failed", "bounced", "skipped"), 0
    )


def test_without_an_smtp_host_send_says_what_to_set(make_app: AppFactory) -> None:
    app = make_app()
    add_edition(app, "first")
    result = send(app.test_cli_runner(), "first")
    assert result.exit_code == 1
    assert "PORTAL_SMTP_HOST is not set" in result.output
    assert "Traceback" not in result.output


def test_forgetting_a_subscriber_erases_their_deliveries_too(
    make_app: AppFactory, smtp: SmtpServer
) -> None:
    app = make_app(**mail_config(smtp.port))
    add_edition(app, "first")
    add_subscribers(app, range(3))
    runner = app.test_cli_runner()
    assert send(runner, "first").exit_code == 0
    forgot = runner.invoke(args=["subscribers", "forget", address(1)])
    assert forgot.exit_code == 0, forgot.output
    assert status_json(runner, "first")["audience"] == 2
    listed = runner.invoke(args=["newsletter", "status", "first", "--failed"]).output
    assert address(1) not in listed
