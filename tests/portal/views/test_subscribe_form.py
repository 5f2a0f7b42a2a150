"""The sign-up form: where it appears, what it accepts, how it normalises, and CSRF."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from portal.db import get_session
from portal.models import OutboxMessage, Subscriber
from portal.subscriptions.addresses import InvalidInput, clean_name, normalise_address
from tests.support.signup_helpers import Mailbox, hidden_fields, sign_up


def stored(app: Flask) -> list[str]:
    """Return the stored addresses."""
    with app.app_context():
        return list(get_session().scalars(select(Subscriber.email).order_by(Subscriber.id)))


def outbox_size(app: Flask) -> int:
    """Return how many emails were ever queued."""
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(OutboxMessage)) or 0


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("reader@example.com", "reader@example.com"),
        ("  Reader@Example.COM\t", "reader@example.com"),
        ("user@bücher.de", "user@xn--bcher-kva.de"),
        ("user@BÜCHER.de", "user@xn--bcher-kva.de"),
        ("first.last+news@sub.example.org", "first.last+news@sub.example.org"),
    ],
)
def test_addresses_are_stored_normalised(typed: str, kept: str) -> None:
    assert normalise_address(typed) == kept


INVALID = [
    ("", "Enter your email address."),
    ("   ", "Enter your email address."),
    ("reader", "An email address must have an @-sign."),
    ("reader@localhost", "It should have a period."),
    ("reader@example.com\r\nBcc: victim@example.org", "must be on a single line"),
    ("reader@example.com\n", "must be on a single line"),
    ("reader@exa\u202emple.com", "invisible or text-direction characters"),
    ("rea\u200bder@example.com", "invisible or text-direction characters"),
    ("reader@example.com\u2066", "invisible or text-direction characters"),
    ("reader@example.com, other@example.com", "Enter one email address only."),
    ("reader@example.com;other@example.com", "Enter one email address only."),
    ("reader@example.com other@example.com", "Enter one email address only."),
    ("reader@example.com@example.org", "Enter one email address only."),
    ("Reader <reader@example.com>", "without a name or angle brackets"),
    ("r" * 250 + "@example.com", "at most 254 characters"),
    ("müller@example.com", "Internationalized characters before the @-sign"),
    ("reader@-example-.com", "cannot have a hyphen immediately after the @-sign"),
    ("reader@exam\tple.com", "invisible or text-direction characters"),
]


@pytest.mark.parametrize(("typed", "message"), INVALID, ids=[repr(t)[:30] for t, _ in INVALID])
def test_invalid_addresses_are_refused_with_a_clear_message(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox, typed: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        normalise_address(typed)
    response = sign_up(signup_client, typed)
    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")
    assert 'aria-invalid="true"' in response.text
    assert stored(signup_app) == [] and mailbox.received == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Eve\r\nBcc: victim@example.org", "must be on a single line"),
        ("Eve\u202e", "invisible or text-direction characters"),
        ("E" * 101, "at most 100 characters"),
    ],
)
def test_invalid_names_are_refused_with_a_clear_message(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox, typed: str, message: str
) -> None:
    response = sign_up(signup_client, "reader@example.com", first_name=typed)
    assert response.status_code == 422 and message in response.text
    assert stored(signup_app) == [] and mailbox.received == []


def test_names_are_trimmed_and_empty_means_none() -> None:
    assert clean_name("  Ada   Lovelace ") == "Ada Lovelace"
    assert clean_name("   ") is None
    assert clean_name(None) is None


def test_an_address_is_one_subscriber_whatever_its_case(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    for typed in ("Reader@Example.com", "READER@EXAMPLE.COM", " reader@example.com "):
        assert sign_up(signup_client, typed).request.path == "/subscribe/check-your-inbox"
    assert stored(signup_app) == ["reader@example.com"]
    assert [r.recipients for r in mailbox.received] == [["reader@example.com"]]


def test_a_post_without_a_csrf_token_keeps_what_was_typed(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    fields = hidden_fields(signup_client.get("/subscribe").text)
    data = {"started": fields["started"], "email": "reader@example.com", "first_name": "Ada"}
    response = signup_client.post("/subscribe", data=data)
    assert response.status_code == 400
    assert "This form had expired" in response.text
    assert 'value="reader@example.com"' in response.text and 'value="Ada"' in response.text
    assert '<link rel="stylesheet"' in response.text  # the site's layout, not a bare error
    assert stored(signup_app) == [] and outbox_size(signup_app) == 0
    # The page carries a fresh token, so sending it again works.
    again = hidden_fields(response.text) | data
    assert signup_client.post("/subscribe", data=again).status_code == 303


def test_a_wrong_csrf_token_is_refused(signup_app: Flask, signup_client: FlaskClient) -> None:
    fields = hidden_fields(signup_client.get("/subscribe").text)
    fields["csrf_token"] = fields["csrf_token"][:-4] + "AAAA"
    response = signup_client.post("/subscribe", data=fields | {"email": "reader@example.com"})
    assert response.status_code == 400
    assert stored(signup_app) == []


def test_the_form_labels_every_field(client: FlaskClient) -> None:
    page = client.get("/subscribe").text
    for field in ("email", "first_name", "website"):
        assert f'<label for="{field}">' in page
        assert f'id="{field}"' in page
    assert 'type="email"' in page
    assert "Send me PRODUCTHEAD" in page  # the consent sentence
    assert "style=" not in page
    assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", page))  # no inline code


@pytest.mark.parametrize("path", ["/", "/editions/will-platforms-conquer-the-world"])
def test_home_and_edition_pages_carry_the_compact_form(
    client: FlaskClient, seeded: FlaskCliRunner, path: str
) -> None:
    response = client.get(path)
    page = response.text
    form = page.split('<form class="signup signup-compact"')[1].split("</form>")[0]
    assert 'method="post" action="/subscribe/continue"' in form and '<label for="email">' in form
    assert 'id="first_name"' not in form
    # No token and no session: the page is the same for every visitor, so it can be cached.
    assert "csrf_token" not in form and 'name="started"' not in form
    assert "Set-Cookie" not in response.headers
    assert 'href="/subscribe">Subscribe</a>' in page


def test_the_compact_form_fills_in_the_full_form(signup_client: FlaskClient) -> None:
    page = signup_client.post("/subscribe/continue", data={"email": " reader@example.com "}).text
    assert 'id="email" name="email"' in page and 'value="reader@example.com"' in page
    assert 'id="first_name"' in page and "Send me PRODUCTHEAD" in page
    hidden_fields(page)  # the full form keeps its CSRF token and its signed time


@pytest.mark.parametrize(
    "typed", ['"><script>alert(1)</script>', "a" * 400 + "@example.com"], ids=["markup", "long"]
)
def test_a_prefilled_address_is_escaped_and_cut(signup_client: FlaskClient, typed: str) -> None:
    response = signup_client.post("/subscribe/continue", data={"email": typed})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert "a" * 321 not in response.text


def test_a_form_from_the_home_page_signs_up(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    compact = signup_client.get("/")
    assert 'method="post" action="/subscribe/continue"' in compact.text
    full = signup_client.post("/subscribe/continue", data={"email": "reader@example.com"})
    assert full.request.url.endswith("/subscribe/continue")  # no address in any URL
    response = signup_client.post(
        "/subscribe",
        data=hidden_fields(full.text) | {"email": "reader@example.com"},
        follow_redirects=True,
    )
    assert response.request.path == "/subscribe/check-your-inbox"
    assert stored(signup_app) == ["reader@example.com"] and len(mailbox.received) == 1


@pytest.mark.parametrize(
    "name", ["example.com", "http", "visit www.x", "Ann https://x.io", "spam.ru now"]
)
def test_a_name_that_looks_like_a_link_is_refused(name: str) -> None:
    from portal.subscriptions.addresses import InvalidInput, clean_name

    with pytest.raises(InvalidInput, match="web address or domain"):
        clean_name(name)
    assert clean_name("Ann-Marie O. Smith") == "Ann-Marie O. Smith"
