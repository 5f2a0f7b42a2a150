"""Privacy: no address in logs, command output, URLs or access logs; forgetting someone
erases their mail files too."""

from __future__ import annotations

import http.client
import logging
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from portal.db import get_session
from tests.conftest import AppFactory, DatabaseFactory
from tests.portal.subscriptions.test_outbox import run
from tests.support.serving import PATIENCE, gunicorn, portal_environment
from tests.support.signup_helpers import (
    Mailbox,
    csrf_token,
    hidden_fields,
    link,
    mail_settings,
    sign_up,
)

TYPED = "Private.Reader@Example.COM"
ADDRESS = TYPED.lower()  # as stored, and as the mail is addressed
REFUSED = "other.reader@example.org"


def compact_form(page: str) -> tuple[str, str]:
    """Return the method and action of the compact sign-up form on a page."""
    found = re.search(r'<form class="signup signup-compact" method="(\w+)" action="([^"]+)"', page)
    assert found, page
    return found.group(1).upper(), found.group(2)


def through_compact_form(client: FlaskClient, address: str) -> str:
    """Send an address with the home page's compact form as a browser would; return the page."""
    method, action = compact_form(client.get("/").text)
    if method == "GET":
        return client.get(action, query_string={"email": address}).text
    return client.post(action, data={"email": address}).text


def test_no_address_reaches_a_log_or_command_output_in_a_whole_journey(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app(**mail_settings(mailbox.port, tmp_path / "mail"))
    client = app.test_client()
    full = through_compact_form(client, TYPED)
    client.post("/subscribe", data=hidden_fields(full) | {"email": TYPED}, follow_redirects=True)
    confirm = link(mailbox.to(ADDRESS)[0], "confirm")
    client.post(confirm, data={"csrf_token": csrf_token(client, confirm)}, follow_redirects=True)
    unsubscribe = link(mailbox.to(ADDRESS)[1], "unsubscribe")
    assert client.post(unsubscribe).status_code == 200  # as a one-click POST would
    mailbox.reply = f"550 5.1.1 <{REFUSED.upper()}>: Recipient address rejected"
    sign_up(client, REFUSED)  # refused after the answer, then again by `outbox send`
    outputs = [run(app, "outbox", "send"), run(app, "outbox", "status")]
    outputs += [run(app, "subscribers", "forget", address) for address in (TYPED, REFUSED)]
    outputs.append(run(app, "subscribers", "forget", TYPED))  # nobody left: an error
    assert [code for code, _ in outputs] == [1, 0, 0, 0, 1]
    assert "<the recipient>: Recipient address rejected" in outputs[1][1]
    # Every log record but the test SMTP server's (aiosmtpd's "mail.log"), tracebacks included.
    ours = [record for record in caplog.records if not record.name.startswith("mail.")]
    logged = "\n".join(logging.Formatter().format(record) for record in ours)
    everything = (logged + "".join(output for _, output in outputs)).lower()
    assert "not sent" in everything  # the refusals were logged, by id
    for address in (ADDRESS, REFUSED):
        assert address not in everything


def test_forget_erases_the_persons_mail_files(make_app: AppFactory, tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    app = make_app(**mail_settings(0, folder) | {"SMTP_HOST": None})
    client = app.test_client()
    for address in (TYPED, "someone.else@example.com"):
        sign_up(client, address)
    [mine] = [path for path in folder.glob("*.eml") if ADDRESS.encode() in path.read_bytes()]
    confirm = re.search(rb"http://127\.0\.0\.1:8000(/subscribe/confirm/[\w.-]+)", mine.read_bytes())
    assert confirm
    path = confirm.group(1).decode()
    # Confirming sends a welcome mail too.
    client.post(path, data={"csrf_token": csrf_token(client, path)}, follow_redirects=True)
    assert len(list(folder.glob("*.eml"))) == 3
    assert run(app, "subscribers", "forget", TYPED) == (
        0,
        f"Erased the subscriber and the emails sent to them, and 2 mail file(s) in {folder}.\n",
    )
    [left] = folder.glob("*.eml")
    assert b"someone.else@example.com" in left.read_bytes()
    assert ADDRESS.encode() not in left.read_bytes()
    code, output = run(app, "subscribers", "forget", TYPED)
    assert code == 1 and "No subscriber has that address; nothing erased." in output


def test_the_compact_form_keeps_the_address_out_of_urls_and_access_logs(
    make_database: DatabaseFactory, mailbox: Mailbox, tmp_path: Path
) -> None:
    env = portal_environment(make_database(), mailbox, tmp_path / "mail")
    log = tmp_path / "gunicorn.log"
    with gunicorn(env, log, workers=1) as server:
        connection = http.client.HTTPConnection(server.host, timeout=PATIENCE)
        try:
            connection.request("GET", "/")
            method, action = compact_form(connection.getresponse().read().decode())
            body = urlencode({"email": TYPED})
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            if method == "GET":
                connection.request("GET", f"{action}?{body}")
            else:
                connection.request("POST", action, body, headers)
            answer = connection.getresponse()
            page = answer.read().decode()
        finally:
            connection.close()
    assert answer.status == 200 and f'value="{TYPED}"' in page
    assert 'name="csrf_token"' in page  # the full form, with its own CSRF token
    access = log.read_text()
    assert ADDRESS not in access.lower() and "private.reader" not in access.lower()
    assert '"POST /subscribe/continue HTTP/1.1" 200' in access


def test_the_full_form_no_longer_fills_in_an_address_from_the_url(app: Flask) -> None:
    page = app.test_client().get("/subscribe", query_string={"email": TYPED}).text
    assert TYPED not in page and 'name="csrf_token"' in page


def test_a_failed_statement_logged_as_unexpected_names_no_address(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """SQL values are hidden, and PostgreSQL's own "Key (email)=(...)" detail is redacted."""
    duplicate = text(
        "INSERT INTO subscribers (email, status, consent_version, signup_client_hash, "
        "signed_up_at) VALUES (:email, 'pending', 'v1', 'x', CURRENT_TIMESTAMP)"
    )
    with app.app_context():
        session = get_session()
        session.execute(duplicate, {"email": ADDRESS})
        with pytest.raises(IntegrityError) as failed:
            session.execute(duplicate, {"email": ADDRESS})
        session.rollback()
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(failed.value)
    with caplog.at_level(logging.ERROR):
        logging.getLogger("portal.views.errors").exception("boom", exc_info=failed.value)
    assert "IntegrityError" in caplog.text and "INSERT INTO subscribers" in caplog.text
    assert ADDRESS not in caplog.text.lower()
