"""The whole journey through a real SMTP server: sign up, confirm, welcome, unsubscribe."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.db import get_session
from portal.models import OutboxMessage, Subscriber
from tests.support.signup_helpers import Mailbox, csrf_token, link, sign_up

ADDRESS = "reader@example.com"


def subscriber(app: Flask, email: str = ADDRESS) -> Subscriber | None:
    """Return the stored subscriber with this address."""
    with app.app_context():
        return get_session().scalars(select(Subscriber).where(Subscriber.email == email)).first()


def confirm(client: FlaskClient, path: str) -> None:
    """Press Confirm on the page a confirmation link opens."""
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 303
    assert response.location == "/subscribe/confirmed"
    response.close()  # the welcome email goes out when the response is closed


def test_the_whole_journey(signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox) -> None:
    response = sign_up(signup_client, "  Reader@Example.COM ", first_name="Zoë")
    assert response.request.path == "/subscribe/check-your-inbox"
    assert "Check your inbox" in response.text
    [confirmation] = mailbox.to(ADDRESS)
    assert confirmation.message["Subject"] == "Confirm your PRODUCTHEAD subscription"
    # What a stranger typed never rides a mail to an unconfirmed address: no name here.
    assert confirmation.text.startswith("Hello,")
    assert "Zoë" not in confirmation.text and "Zoë" not in confirmation.html
    stored = subscriber(signup_app)
    assert stored is not None and stored.status == "pending" and stored.first_name == "Zoë"

    path = link(confirmation, "confirm")
    page = signup_client.get(path)
    assert page.status_code == 200 and ">Confirm</button>" in page.text
    assert subscriber(signup_app).status == "pending"  # type: ignore[union-attr]
    assert len(mailbox.received) == 1  # opening the link sent nothing

    confirm(signup_client, path)
    assert "You are subscribed" in signup_client.get("/subscribe/confirmed").text
    stored = subscriber(signup_app)
    assert stored is not None and stored.status == "confirmed" and stored.confirmed_at
    [_, welcome] = mailbox.to(ADDRESS)
    assert welcome.message["Subject"] == "Welcome to PRODUCTHEAD"
    assert welcome.text.startswith("Hi Zoë,")  # the confirmed owner chose that name
    assert "http://127.0.0.1:8000/editions/" in welcome.text

    confirm(signup_client, path)  # confirming twice is harmless
    assert len(mailbox.received) == 2

    unsubscribe = link(welcome, "unsubscribe")
    assert ">Unsubscribe</button>" in signup_client.get(unsubscribe).text
    assert subscriber(signup_app).status == "confirmed"  # type: ignore[union-attr]
    done = signup_client.post(unsubscribe)
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert subscriber(signup_app).status == "unsubscribed"  # type: ignore[union-attr]
    assert len(mailbox.received) == 2


def test_every_email_offers_one_click_unsubscribe(
    signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    sign_up(signup_client, ADDRESS)
    [confirmation] = mailbox.received
    path = link(confirmation, "unsubscribe")
    assert confirmation.message["List-Unsubscribe"] == f"<http://127.0.0.1:8000{path}>"
    assert confirmation.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Unfolded and unencoded, so mail providers can read the address.
    assert f"\r\nList-Unsubscribe: <http://127.0.0.1:8000{path}>\r\n".encode() in confirmation.raw
    assert f'<a href="http://127.0.0.1:8000{path}">' in confirmation.html
    assert [part.get_content_type() for part in confirmation.message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


def test_rfc_8058_one_click_post_needs_no_cookie_or_csrf_token(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    sign_up(signup_client, ADDRESS)
    path = link(mailbox.received[0], "unsubscribe")
    mail_provider = signup_app.test_client(use_cookies=False)
    response = mail_provider.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert subscriber(signup_app).status == "unsubscribed"  # type: ignore[union-attr]
    assert mail_provider.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200


def test_other_posts_still_need_a_csrf_token(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    sign_up(signup_client, ADDRESS)
    path = link(mailbox.received[0], "confirm")
    response = signup_app.test_client().post(path)
    assert response.status_code == 400
    assert "This form had expired" in response.text
    assert subscriber(signup_app).status == "pending"  # type: ignore[union-attr]


def shift_times(app: Flask, email: str = ADDRESS, **shifts: dt.timedelta) -> None:
    """Move a subscriber's recorded times, as if things had happened earlier or later."""
    with app.app_context():
        session = get_session()
        row = session.scalars(select(Subscriber).where(Subscriber.email == email)).one()
        for column, shift in shifts.items():
            setattr(row, column, getattr(row, column) + shift)
        session.commit()


def test_resubscribing_after_unsubscribing_needs_a_new_confirmation(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    sign_up(signup_client, ADDRESS)
    signup_client.post(link(mailbox.received[0], "unsubscribe"))
    shift_times(signup_app, confirmation_sent_at=-dt.timedelta(hours=2))
    sign_up(signup_client, ADDRESS)
    assert len(mailbox.received) == 2
    assert subscriber(signup_app).status == "unsubscribed"  # type: ignore[union-attr]
    confirm(signup_client, link(mailbox.received[1], "confirm"))
    assert subscriber(signup_app).status == "confirmed"  # type: ignore[union-attr]
    assert mailbox.received[2].message["Subject"] == "Welcome to PRODUCTHEAD"


def test_a_link_from_before_an_unsubscribe_cannot_resubscribe(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    sign_up(signup_client, ADDRESS)
    old_link = link(mailbox.received[0], "confirm")
    confirm(signup_client, old_link)
    signup_client.post(link(mailbox.received[0], "unsubscribe"))
    shift_times(signup_app, unsubscribed_at=dt.timedelta(seconds=2))
    page = signup_client.get(old_link)
    assert page.status_code == 410 and "Send me a new link" in page.text
    pressed = signup_client.post(
        old_link, data={"csrf_token": csrf_token(signup_client, "/subscribe")}
    )
    assert pressed.status_code == 410
    assert subscriber(signup_app).status == "unsubscribed"  # type: ignore[union-attr]
    assert len(mailbox.received) == 2  # the confirmation and the welcome, nothing since


def test_sent_mail_leaves_no_copy_in_the_outbox(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    sign_up(signup_client, ADDRESS)
    with signup_app.app_context():
        [row] = get_session().scalars(select(OutboxMessage)).all()
        assert (row.status, row.kind, row.attempts, row.message) == ("sent", "confirmation", 1, "")
        assert row.claimed_until is None and row.sent_at is not None
