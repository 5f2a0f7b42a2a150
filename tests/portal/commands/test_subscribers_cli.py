"""`flask subscribers export | forget | stats`: the data-rights commands."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.db import get_session
from portal.models import OutboxMessage, Subscriber
from tests.portal.views.test_subscribe_form import stored
from tests.support.signup_helpers import Mailbox, sign_up

WHEN = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def add(app: Flask, email: str, status: str, first_name: str | None = None) -> None:
    """Store a subscriber directly."""
    with app.app_context():
        session = get_session()
        session.add(
            Subscriber(
                email=email,
                first_name=first_name,
                status=status,
                signed_up_at=WHEN,
                signup_client_hash="0" * 64,
                consent_version="2025-1",
                confirmed_at=WHEN if status == "confirmed" else None,
            )
        )
        session.commit()


@pytest.fixture
def populated(app: Flask) -> Flask:
    """Return an app with two confirmed, one pending and one unsubscribed subscriber."""
    add(app, "ada@example.com", "confirmed", "Ada")
    add(app, "bob@example.com", "pending")
    add(app, "cy@example.com", "unsubscribed")
    add(app, "-di+news@example.com", "confirmed", '=HYPERLINK("http://evil.example")')
    return app


def invoke(app: Flask, *args: str) -> tuple[int, str, str]:
    """Run a command; return exit code, standard output and standard error."""
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.stdout, result.stderr


def test_export_writes_confirmed_subscribers_by_default(populated: Flask) -> None:
    code, out, err = invoke(populated, "subscribers", "export")
    assert code == 0 and err == "Exported 2 confirmed subscribers.\n"
    table = list(csv.DictReader(io.StringIO(out)))
    assert [row["email"] for row in table] == ["ada@example.com", "-di+news@example.com"]
    assert table[0] == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "status": "confirmed",
        "signed_up_at": "2025-03-04T05:06:07+00:00",
        "confirmed_at": "2025-03-04T05:06:07+00:00",
        "unsubscribed_at": "",
        "consent_version": "2025-1",
    }
    # A spreadsheet must not run a formula someone typed as their name.
    assert table[1]["first_name"] == '\'=HYPERLINK("http://evil.example")'


@pytest.mark.parametrize(
    ("status", "emails"),
    [("pending", ["bob@example.com"]), ("unsubscribed", ["cy@example.com"])],
)
def test_export_by_status(populated: Flask, status: str, emails: list[str]) -> None:
    code, out, _ = invoke(populated, "subscribers", "export", "--status", status)
    assert code == 0
    assert [row["email"] for row in csv.DictReader(io.StringIO(out))] == emails


def test_export_refuses_an_unknown_status(populated: Flask) -> None:
    code, _, err = invoke(populated, "subscribers", "export", "--status", "everyone")
    assert code == 2 and "'everyone' is not one of" in err


def test_stats_counts_every_status(populated: Flask) -> None:
    code, out, _ = invoke(populated, "subscribers", "stats")
    assert code == 0
    assert out == "Subscribers: 1 pending, 2 confirmed, 1 unsubscribed, 0 bounced (4 in all).\n"


def test_stats_of_an_empty_list(app: Flask) -> None:
    assert invoke(app, "subscribers", "stats")[1] == (
        "Subscribers: 0 pending, 0 confirmed, 0 unsubscribed, 0 bounced (0 in all).\n"
    )


def test_forget_erases_the_person_and_their_mail(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    sign_up(signup_client, "reader@example.com")
    sign_up(signup_client, "other@example.com")
    code, out, _ = invoke(signup_app, "subscribers", "forget", " Reader@EXAMPLE.com")
    assert code == 0 and out.startswith("Erased the subscriber and the emails sent to them, and 0")
    assert "reader@" not in out.lower()  # the address is not repeated: output may be logged
    assert stored(signup_app) == ["other@example.com"]
    with signup_app.app_context():
        recipients = get_session().scalars(select(OutboxMessage.recipient)).all()
        assert recipients == ["other@example.com"]
        assert get_session().scalar(select(func.count()).select_from(Subscriber)) == 1


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.com", "No subscriber has that address; nothing erased."),
        ("not-an-address", "That is not an email address: An email address must have an @-sign."),
    ],
)
def test_forget_says_when_there_is_nothing_to_erase(
    populated: Flask, email: str, message: str
) -> None:
    code, _, err = invoke(populated, "subscribers", "forget", email)
    assert code == 1 and message in err
    assert len(stored(populated)) == 4
