"""The edition email as a message: headers, the plain part, per-reader filling, the Message-ID,
the [TEST] copy, a real SMTP server, the one-click unsubscribe, and the cost per reader."""

from __future__ import annotations

import re
import smtplib
import statistics
import time
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from portal.db import get_session
from portal.models import Subscriber
from portal.newsletter.message import EditionEmail, Recipient
from portal.subscriptions.addresses import InvalidInput
from tests.portal.newsletter.email_editions import (
    ADA,
    add_subscriber,
    body,
    largest,
    parse,
    render,
    store,
    weekly,
)
from tests.support.signup_helpers import Mailbox

SQLITE_ONLY = pytest.mark.sqlite_only(reason="rendering reads the edition the same on both")


@SQLITE_ONLY
def test_headers(make_app: pytest.FixtureRequest) -> None:
    app = make_app(  # type: ignore[operator]
        MAIL_FROM="PRODUCTHEAD <news@producthead.example>",
        BASE_URL="https://producthead.example",
        NEWSLETTER_SUBJECT="Weekly \N{EN DASH} {title}",
    )
    store(app, weekly())
    message = parse(render(app, "platforms-week").message_for(ADA))
    assert message["From"] == "PRODUCTHEAD <news@producthead.example>"
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Weekly \N{EN DASH} Will platforms conquer the world?"
    assert message["Date"].datetime.tzinfo is not None
    assert re.fullmatch(
        r"<producthead\.\d+\.[0-9a-f]{24}@producthead\.example>", message["Message-ID"]
    )
    assert message["List-Id"] == "PRODUCTHEAD <producthead.producthead.example>"
    unsubscribe = message["List-Unsubscribe"]
    assert re.fullmatch(r"<https://producthead\.example/unsubscribe/[\w.-]+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in message.iter_parts())


@SQLITE_ONLY
def test_plain_part_holds_the_whole_edition_with_every_address_written_out(
    weekly_email: EditionEmail,
) -> None:
    text = body(parse(weekly_email.message_for(ADA)), "plain")
    edition = weekly()
    assert "Hi Ada," in text
    assert all(highlight in text for highlight in edition.highlights)
    assert "I joined a panel <https://example.org/panel?x=1&y=2> on platforms." in text
    for link in (*edition.curated, *edition.recent_posts):
        assert link.headline in text
        if link.url:
            assert f"<{link.url}>" in text
    assert "See the memo <https://memo.example/aws>." in text
    assert "Ron Miller, TechCrunch" in text and "Ben Thompson, Stratechery" in text
    assert "<http://127.0.0.1:8000/editions/platforms-week>" in text
    assert "Platforms <http://127.0.0.1:8000/themes/platforms>" in text
    assert re.search(r"no questions\):\r?\n<http://127\.0\.0\.1:8000/unsubscribe/[\w.-]+>", text)
    # Prose wraps for reading; only a line holding an address may be longer.
    assert all(len(line) <= 72 or "<http" in line for line in text.splitlines())


@SQLITE_ONLY
def test_lines_are_short_crlf_and_quoted_printable(weekly_email: EditionEmail) -> None:
    raw = weekly_email.message_for(Recipient(7, "zoe@example.com", "Zoë " + "Long" * 40))
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    assert all(len(line) <= 76 for line in rest.split(b"\r\n"))
    assert raw.isascii()
    assert rest.count(b"Content-Transfer-Encoding: quoted-printable") == 2


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("name", "text_greeting", "html_greeting"),
    [
        (None, "Hello,", "Hello,"),
        ("Zoë", "Hi Zoë,", "Hi Zoë,"),
        ("Seán O'Brien", "Hi Seán O'Brien,", "Hi Seán O&#x27;Brien,"),
        ("<b>Bo</b>", "Hi <b>Bo</b>,", "Hi &lt;b&gt;Bo&lt;/b&gt;,"),
    ],
)
def test_greeting_is_filled_per_reader(
    weekly_email: EditionEmail, name: str | None, text_greeting: str, html_greeting: str
) -> None:
    message = parse(weekly_email.message_for(Recipient(3, "x@example.com", name)))
    assert text_greeting in body(message, "plain")
    assert html_greeting in body(message, "html")


@SQLITE_ONLY
def test_message_id_is_the_same_every_time_for_one_reader_and_edition(app: Flask) -> None:
    store(app, weekly())
    store(app, weekly("next-week"))
    first, again, other = (render(app, slug) for slug in ("platforms-week",) * 2 + ("next-week",))

    def message_id(made: EditionEmail, recipient: Recipient) -> str:
        return str(parse(made.message_for(recipient))["Message-ID"])

    ids = {message_id(first, ADA), message_id(again, ADA)}
    assert len(ids) == 1
    assert message_id(first, Recipient(42, ADA.email)) not in ids
    assert message_id(other, ADA) not in ids


@SQLITE_ONLY
def test_test_message_is_marked_and_not_the_real_message(weekly_email: EditionEmail) -> None:
    message = parse(weekly_email.test_message("Editor@Example.COM"))
    assert message["Subject"] == "[TEST] PRODUCTHEAD: Will platforms conquer the world?"
    assert message["To"] == "editor@example.com"
    real = parse(weekly_email.message_for(Recipient(0, "editor@example.com")))
    # Its own Message-ID: a provider must not drop the real one as a copy of the test.
    assert message["Message-ID"] != real["Message-ID"]
    assert "Hello," in body(message, "plain")
    with pytest.raises(InvalidInput):
        weekly_email.test_message("not an address\r\nBcc: x@example.com")


@SQLITE_ONLY
def test_unknown_edition_is_a_lookup_error(app: Flask) -> None:
    with pytest.raises(LookupError):
        render(app, "no-such-edition")


@SQLITE_ONLY
def test_message_goes_through_a_real_smtp_server_intact(
    weekly_email: EditionEmail, mailbox: Mailbox
) -> None:
    raw = weekly_email.message_for(ADA)
    with smtplib.SMTP("127.0.0.1", mailbox.port, timeout=5) as smtp:
        smtp.sendmail("news@localhost", [ADA.email], raw)
    (received,) = mailbox.to(ADA.email)
    assert received.text == body(parse(raw), "plain")
    assert received.html == body(parse(raw), "html")


def test_one_click_unsubscribe_from_the_email_works(app: Flask) -> None:
    store(app, weekly())
    subscriber_id = add_subscriber(app, "reader@example.com", "Rea")
    made = render(app, "platforms-week")
    message = parse(made.message_for(Recipient(subscriber_id, "reader@example.com", "Rea")))
    url = message["List-Unsubscribe"].strip("<>")
    # The footer's link is the same address.
    assert f'href="{url}"' in body(message, "html") and f"<{url}>" in body(message, "plain")
    # The footer's link opens a page that asks to confirm (a link scanner changes nothing).
    page = app.test_client().get(urlsplit(url).path)
    assert page.status_code == 200 and b"<form" in page.data
    assert status_of(app, subscriber_id) == "confirmed"
    # What Gmail's and Yahoo's unsubscribe buttons do (RFC 8058): a POST with this body.
    response = app.test_client().post(urlsplit(url).path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert status_of(app, subscriber_id) == "unsubscribed"


def status_of(app: Flask, subscriber_id: int) -> str | None:
    """Return a subscriber's status."""
    with app.app_context():
        return get_session().scalar(select(Subscriber.status).where(Subscriber.id == subscriber_id))


@SQLITE_ONLY
def test_filling_in_one_reader_is_cheap(app: Flask) -> None:
    store(app, largest())
    made = render(app, "largest")
    timings = []
    for n in range(300):
        started = time.perf_counter()
        made.message_for(Recipient(n, f"reader{n}@example.com", "Ada"))
        timings.append(time.perf_counter() - started)
    # Well under a millisecond: the edition is rendered once, only the reader's parts here.
    assert statistics.median(timings) < 0.001, statistics.median(timings)
