"""The outbox: mail survives SMTP being down, goes out once, backs off, and never blocks."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from portal import create_app
from portal.db import get_session
from portal.models import OutboxMessage
from portal.subscriptions.outbox import retry_delay
from tests.conftest import AppFactory
from tests.portal.views.test_subscribe_form import stored
from tests.support.signup_helpers import Mailbox, free_port, hidden_fields, mail_settings, sign_up


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(0, 0), (1, 0), (2, 1), (3, 2), (4, 4), (8, 64), (9, 128), (10, 256), (11, 360), (500, 360)],
)
def test_retries_back_off_up_to_six_hours(attempts: int, minutes: int) -> None:
    assert retry_delay(attempts) == dt.timedelta(minutes=minutes)


def folder_mode(path: Path) -> int:
    """Return the permission bits of a file or folder."""
    return path.stat().st_mode & 0o777


def rows(app: Flask) -> list[OutboxMessage]:
    """Return every outbox row, oldest first."""
    with app.app_context():
        return list(get_session().scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def run(app: Flask, *args: str) -> tuple[int, str]:
    """Run a flask command; return its exit code and output."""
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


@pytest.fixture
def down(make_app: AppFactory, tmp_path: Path) -> tuple[Flask, Mailbox]:
    """Return an app whose SMTP server is not running yet, and that server."""
    mailbox = Mailbox(free_port())
    return make_app(**mail_settings(mailbox.port, tmp_path)), mailbox


def test_smtp_down_then_up_loses_nothing_and_sends_once(down: tuple[Flask, Mailbox]) -> None:
    app, mailbox = down
    client = app.test_client()
    addresses = [f"reader{n}@example.com" for n in range(3)]
    for address in addresses:
        assert sign_up(client, address).request.path == "/subscribe/check-your-inbox"
    assert stored(app) == addresses
    assert [(r.status, r.attempts) for r in rows(app)] == [("queued", 1)] * 3
    assert all("ConnectionRefusedError" in (r.last_error or "") for r in rows(app))
    code, output = run(app, "outbox", "status")
    assert code == 0 and "0 sent, 3 queued (3 due now), 0 failed" in output
    assert output.count("1 failed attempt(s)") == 3

    mailbox.start()
    try:
        assert run(app, "outbox", "send") == (0, "Sent 3, failed 0.\n")
        assert run(app, "outbox", "send") == (0, "Sent 0, failed 0.\n")
        assert sorted(r.recipients[0] for r in mailbox.received) == addresses
    finally:
        mailbox.stop()
    assert [(r.status, r.attempts, r.last_error) for r in rows(app)] == [("sent", 2, None)] * 3
    assert "3 sent, 0 queued" in run(app, "outbox", "status")[1]


def test_a_failed_retry_waits_before_the_next(down: tuple[Flask, Mailbox]) -> None:
    app, mailbox = down
    sign_up(app.test_client(), "reader@example.com")
    code, output = run(app, "outbox", "send")
    assert code == 1 and "1 email(s) could not be sent: queued for a later attempt" in output
    assert rows(app)[0].attempts == 2
    assert run(app, "outbox", "send") == (0, "Sent 0, failed 0.\n")  # not due for a minute
    status = run(app, "outbox", "status")[1]
    found = re.search(
        r"#1 confirmation to subscriber 1: 2 failed attempt\(s\), next in (\d+) s; last error: ConnectionRefusedError",
        status,
    )
    assert found and int(found.group(1)) <= 60, status
    with app.app_context():
        session = get_session()
        session.execute(update(OutboxMessage).values(next_attempt_at=dt.datetime.now(dt.UTC)))
        session.commit()
    mailbox.start()
    try:
        assert run(app, "outbox", "send") == (0, "Sent 1, failed 0.\n")
    finally:
        mailbox.stop()
    assert len(mailbox.received) == 1


def test_a_message_claimed_by_another_sender_is_left_alone(
    down: tuple[Flask, Mailbox],
) -> None:
    app, mailbox = down
    sign_up(app.test_client(), "reader@example.com")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    with app.app_context():
        session = get_session()
        session.execute(update(OutboxMessage).values(claimed_until=soon))
        session.commit()
    mailbox.start()
    try:
        assert run(app, "outbox", "send") == (0, "Sent 0, failed 0.\n")
        with app.app_context():  # the other sender died: its claim runs out
            session = get_session()
            past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            session.execute(update(OutboxMessage).values(claimed_until=past))
            session.commit()
        assert run(app, "outbox", "send") == (0, "Sent 1, failed 0.\n")
    finally:
        mailbox.stop()
    assert len(mailbox.received) == 1


def test_mail_goes_out_after_the_response_not_during_it(
    signup_app: Flask, mailbox: Mailbox
) -> None:
    client = signup_app.test_client()
    data = hidden_fields(client.get("/subscribe").text) | {"email": "reader@example.com"}
    with client.post("/subscribe", data=data) as response:
        assert response.status_code == 303
        assert stored(signup_app) == ["reader@example.com"]
        assert mailbox.received == []
        assert rows(signup_app)[0].status == "queued"
    assert len(mailbox.received) == 1 and rows(signup_app)[0].status == "sent"


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({}, "SMTPDataError: 554 Transaction failed"),
        ({"SMTP_TLS": "starttls"}, "STARTTLS extension not supported"),
        ({"SMTP_TLS": "ssl"}, "SSL"),
        ({"SMTP_USER": "portal", "SMTP_PASSWORD": "pw"}, "AUTH extension not supported"),
    ],
    ids=["rejected", "starttls-unavailable", "ssl-unavailable", "auth-unavailable"],
)
def test_a_failing_server_leaves_the_mail_queued_with_the_reason(
    make_app: AppFactory,
    mailbox: Mailbox,
    tmp_path: Path,
    settings: dict[str, str],
    error: str,
) -> None:
    if not settings:
        mailbox.reply = "554 Transaction failed"
    app = make_app(**mail_settings(mailbox.port, tmp_path) | settings)
    response = sign_up(app.test_client(), "reader@example.com")
    assert response.request.path == "/subscribe/check-your-inbox"
    [row] = rows(app)
    assert row.status == "queued" and row.attempts == 1 and error in (row.last_error or "")
    assert mailbox.received == []


def test_without_smtp_mail_is_written_to_a_folder_and_logged(
    make_app: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = mail_settings(0, tmp_path / "mail") | {"SMTP_HOST": None}
    app = make_app(**settings)
    with caplog.at_level(logging.WARNING, logger="portal.subscriptions.transport"):
        sign_up(app.test_client(), "reader@example.com")
    [written] = (tmp_path / "mail").glob("*.eml")
    assert b"Subject: Confirm your PRODUCTHEAD subscription" in written.read_bytes()
    assert f"mail written to {written}" in caplog.text and "reader@" not in caplog.text
    assert written.stat().st_mode & 0o777 == 0o600 and folder_mode(written.parent) == 0o700
    assert rows(app)[0].status == "sent"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("SMTP_TLS", "tls", "PORTAL_SMTP_TLS must be one of starttls, ssl, none"),
        ("BASE_URL", "producthead.example", "PORTAL_BASE_URL must be an http(s) address"),
        ("MAIL_FROM", "PRODUCTHEAD", "PORTAL_MAIL_FROM must contain an address"),
    ],
)
def test_unusable_mail_settings_fail_at_start(setting: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", setting: value})


def test_links_follow_the_base_url(make_app: AppFactory, mailbox: Mailbox, tmp_path: Path) -> None:
    base = {"BASE_URL": "https://news.example.org/portal/"}
    app = make_app(**mail_settings(mailbox.port, tmp_path) | base)
    sign_up(app.test_client(), "reader@example.com")
    text = mailbox.received[0].text
    assert "https://news.example.org/portal/subscribe/confirm/" in text
    assert "https://news.example.org/portal/unsubscribe/" in text
