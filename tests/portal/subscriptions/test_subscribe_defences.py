"""Defences: no enumeration, the hourly mail cap, bot traps, rate limits, size limits, headers."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.subscriptions.forms import PREFILLED_MIN_SECONDS
from tests.conftest import AppFactory
from tests.portal.subscriptions.test_subscribe_journey import confirm, shift_times
from tests.portal.views.test_subscribe_form import outbox_size, stored
from tests.support.signup_helpers import Mailbox, hidden_fields, link, mail_settings, sign_up

STATES = ["new", "pending", "confirmed", "unsubscribed"]


def _put_in_state(client: FlaskClient, mailbox: Mailbox, address: str, state: str) -> None:
    if state == "new":
        return
    sign_up(client, address)
    [mail] = mailbox.to(address)
    if state == "confirmed":
        confirm(client, link(mail, "confirm"))
    if state == "unsubscribed":
        client.post(link(mail, "unsubscribe"))


def _answer(response: TestResponse) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.headers.items()), response.get_data()


def test_every_address_state_gets_the_same_answer(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    answers = {}
    for state in STATES:
        address = f"{state}@example.com"
        _put_in_state(signup_client, mailbox, address, state)
        data = hidden_fields(signup_client.get("/subscribe").text) | {"email": address}
        with signup_client.post("/subscribe", data=data) as response:
            answers[state] = _answer(response)
            followed = signup_client.get(response.location)
            answers[state] += (followed.status_code, followed.get_data())
    assert answers["new"][0] == 303
    assert all(answers[state] == answers["new"] for state in STATES), answers


def test_one_confirmation_an_hour_however_often_an_address_is_submitted(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: object
) -> None:
    app = make_app(**mail_settings(mailbox.port, tmp_path))
    clients = [app.test_client() for _ in range(3)]  # as if from different browsers
    for n in range(9):
        sign_up(clients[n % 3], "reader@example.com")
    assert len(mailbox.received) == 1
    shift_times(app, "reader@example.com", confirmation_sent_at=-dt.timedelta(minutes=61))
    sign_up(clients[0], "Reader@Example.com")
    assert len(mailbox.received) == 2
    sign_up(clients[1], "reader@example.com")
    assert len(mailbox.received) == 2


def test_a_confirmed_address_gets_no_more_confirmations(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    _put_in_state(signup_client, mailbox, "reader@example.com", "confirmed")
    shift_times(signup_app, confirmation_sent_at=-dt.timedelta(hours=2))
    sign_up(signup_client, "reader@example.com")
    assert [r.message["Subject"] for r in mailbox.received] == [
        "Confirm your PRODUCTHEAD subscription",
        "Welcome to PRODUCTHEAD",
    ]


@pytest.mark.parametrize(
    "trap",
    [
        {"website": "https://spam.example"},
        {"started": ""},
        {"started": "signup.forged.signature"},
        {"website": "x\r\nBcc: victim@example.org"},
    ],
    ids=["honeypot", "no-form-time", "forged-form-time", "honeypot-injection"],
)
def test_bot_traps_are_silent(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox, trap: dict[str, str]
) -> None:
    response = sign_up(signup_client, "reader@example.com", **trap)
    assert response.status_code == 200
    assert response.request.path == "/subscribe/check-your-inbox"
    assert stored(signup_app) == [] and outbox_size(signup_app) == 0 and mailbox.received == []


def test_a_form_sent_too_soon_is_silently_ignored(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: object
) -> None:
    app = make_app(**mail_settings(mailbox.port, tmp_path) | {"SIGNUP_MIN_SECONDS": 3600})
    response = sign_up(app.test_client(), "reader@example.com")
    assert response.request.path == "/subscribe/check-your-inbox"
    assert stored(app) == [] and mailbox.received == []


def test_a_form_filled_in_from_the_compact_form_needs_only_a_second(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: object
) -> None:
    """The address was typed on the page before: pressing Subscribe quickly is human, but
    not as quickly as a script sends its second request."""
    app = make_app(**mail_settings(mailbox.port, tmp_path) | {"SIGNUP_MIN_SECONDS": 3600})
    client = app.test_client()

    def post_after(seconds: float, address: str) -> None:
        page = client.post("/subscribe/continue", data={"email": address}).text
        time.sleep(seconds)
        client.post("/subscribe", data=hidden_fields(page) | {"email": address})

    post_after(0, "script@example.com")
    post_after(PREFILLED_MIN_SECONDS + 0.2, "reader@example.com")
    assert stored(app) == ["reader@example.com"]
    assert outbox_size(app) == 1  # one confirmation queued, for the reader
    # Without an address filled in, the full minimum still applies.
    page = client.get("/subscribe").text
    time.sleep(PREFILLED_MIN_SECONDS + 0.2)
    client.post("/subscribe", data=hidden_fields(page) | {"email": "typed@example.com"})
    assert stored(app) == ["reader@example.com"]


def test_an_invalid_address_from_a_bot_gets_no_error_message(
    signup_app: Flask, signup_client: FlaskClient
) -> None:
    response = sign_up(signup_client, "not an address", website="filled")
    assert response.request.path == "/subscribe/check-your-inbox"


def test_sign_ups_are_rate_limited_per_client_address(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: object
) -> None:
    app = make_app(**mail_settings(mailbox.port, tmp_path) | {"SIGNUP_RATE_LIMIT": "2 per hour"})
    client = app.test_client()
    fields = hidden_fields(client.get("/subscribe").text)
    for n in range(2):
        assert (
            client.post("/subscribe", data=fields | {"email": f"r{n}@example.com"}).status_code
            == 303
        )
    limited = client.post("/subscribe", data=fields | {"email": "r2@example.com"})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 3601
    assert "Too many requests came from your network" in limited.text
    assert '<link rel="stylesheet"' in limited.text
    assert stored(app) == ["r0@example.com", "r1@example.com"]
    resend = "/subscribe/confirm/any-token/resend"  # the same allowance covers resending
    assert client.post(resend, data={"csrf_token": fields["csrf_token"]}).status_code == 429
    assert client.get("/subscribe").status_code == 200  # reading pages is not limited
    other = app.test_client()
    other_fields = hidden_fields(other.get("/subscribe").text)
    environ = {"REMOTE_ADDR": "192.0.2.7"}
    answer = other.post(
        "/subscribe", data=other_fields | {"email": "r3@example.com"}, environ_base=environ
    )
    assert answer.status_code == 303  # another client address has its own allowance


def test_an_oversized_request_gets_a_friendly_413(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: object
) -> None:
    app = make_app(**mail_settings(mailbox.port, tmp_path) | {"MAX_CONTENT_LENGTH": 1024})
    client = app.test_client()
    fields = hidden_fields(client.get("/subscribe").text)
    response = client.post("/subscribe", data=fields | {"email": "a" * 2000 + "@example.com"})
    assert response.status_code == 413
    assert "more than this page accepts" in response.text
    assert '<link rel="stylesheet"' in response.text
    assert stored(app) == []


INJECTIONS = [
    ("reader@example.com\r\nBcc: victim@example.org", "", "refused"),
    ("reader@example.com\nSubject: hijacked", "", "refused"),
    ("reader@example.com\rBcc: victim@example.org", "", "refused"),
    ("reader@example.com%0d%0aBcc:victim@example.org", "", "refused"),
    ("reader@example.com", "Eve\r\nBcc: victim@example.org", "refused"),
    ("reader@example.com", "Eve\nSubject: hijacked", "refused"),
    ("reader@example.com", "Eve\u2028Bcc: victim@example.org", "refused"),
    # A name holding a domain is refused as a link; without one it is only text.
    ("reader@example.com", "Eve: Bcc victim@example.org", "refused"),
    ("reader@example.com", "Eve: Bcc victim", "delivered"),
    ("reader@example.com", "=?utf-8?q?Eve=0D=0ABcc:_victim?=", "delivered"),
]
EXPECTED_HEADERS = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "mime-version",
    "content-type",
}


@pytest.mark.parametrize(
    ("address", "name", "outcome"), INJECTIONS, ids=[repr(a + n)[-36:] for a, n, _ in INJECTIONS]
)
def test_header_injection_never_reaches_a_message(
    signup_client: FlaskClient, mailbox: Mailbox, address: str, name: str, outcome: str
) -> None:
    response = sign_up(signup_client, address, first_name=name)
    if outcome == "refused":
        assert response.status_code == 422 and mailbox.received == []
        return
    [received] = mailbox.received
    assert received.recipients == ["reader@example.com"]
    assert sorted(map(str.lower, received.message.keys())) == sorted(EXPECTED_HEADERS)
    assert received.message["Subject"] == "Confirm your PRODUCTHEAD subscription"
    assert received.message["To"] == "reader@example.com"
    assert b"victim@" not in received.raw.split(b"\r\n\r\n")[0]
    assert received.text.startswith("Hello,")  # no name in a mail to an unconfirmed address
