"""Bounces: `flask subscribers bounce`, and `record_bounce` as the newsletter sender calls it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.db import get_session, write_transaction
from portal.models import Subscriber
from portal.subscriptions.bounces import Bounce, record_bounce
from tests.portal.newsletter.email_editions import add_subscriber


def invoke(app: Flask, *args: str) -> tuple[int, str, str]:
    """Run a command; return exit code, standard output and standard error."""
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.stdout, result.stderr


def state(app: Flask, email: str) -> tuple[str, str | None, bool]:
    """Return a subscriber's status, bounce reason and whether a bounce time is set."""
    with app.app_context():
        found = get_session().scalars(select(Subscriber).where(Subscriber.email == email)).one()
        return found.status, found.bounce_reason, found.bounced_at is not None


@pytest.fixture
def readers(app: Flask) -> Flask:
    """Return an app with three confirmed readers."""
    for email in ("ada@example.com", "bob@example.com", "cy@example.com"):
        add_subscriber(app, email)
    return app


def test_bounce_command_marks_readers_bounced(readers: Flask) -> None:
    code, out, err = invoke(
        readers, "subscribers", "bounce", "Ada@Example.com", "nobody@example.com"
    )
    assert (code, err) == (0, "")
    assert out == ("Bounces: 1 recorded, 0 already bounced, 1 not subscribers, 0 not addresses.\n")
    assert state(readers, "ada@example.com") == ("bounced", "reported by the mail provider", True)
    assert state(readers, "bob@example.com") == ("confirmed", None, False)
    # Bounced readers are counted apart.
    assert invoke(readers, "subscribers", "stats")[1] == (
        "Subscribers: 0 pending, 2 confirmed, 0 unsubscribed, 1 bounced (3 in all).\n"
    )
    code, out, _ = invoke(readers, "subscribers", "bounce", "ada@example.com", "--reason", "x")
    assert code == 0 and "0 recorded, 1 already bounced" in out
    assert state(readers, "ada@example.com")[1] == "reported by the mail provider"


def test_bounce_file_from_a_provider(readers: Flask, tmp_path: Path) -> None:
    bounces = tmp_path / "bounces.csv"
    bounces.write_text(
        "email,reason\n"
        "# exported from the provider\n"
        "\n"
        "bob@example.com,550 5.1.1 mailbox does not exist\n"
        "not an address\n"
        '"cy@example.com","552 mailbox full, for months"\n',
        encoding="utf-8",
    )
    code, out, err = invoke(readers, "subscribers", "bounce", "--file", str(bounces))
    assert code == 1
    assert f"{bounces}:5: not an email address" in err
    assert "Error: 1 address(es) could not be read (listed above)." in err
    assert out == "Bounces: 2 recorded, 0 already bounced, 0 not subscribers, 1 not addresses.\n"
    assert state(readers, "bob@example.com") == (
        "bounced",
        "550 5.1.1 mailbox does not exist",
        True,
    )
    assert state(readers, "cy@example.com")[0] == "bounced"
    assert state(readers, "ada@example.com")[0] == "confirmed"


@pytest.mark.sqlite_only(reason="a usage error touches no database")
def test_bounce_without_addresses_says_what_to_give(app: Flask) -> None:
    code, _, err = invoke(app, "subscribers", "bounce")
    assert code == 1 and "Name the bounced addresses, or pass --file" in err


def test_record_bounce_in_the_callers_transaction(readers: Flask) -> None:
    with readers.app_context(), write_transaction() as session:
        reason = "550 5.1.1 <bob@example.com>:\r\n user\tunknown " + "x" * 400
        assert record_bounce(session, "bob@example.com", reason) is Bounce.RECORDED
        assert record_bounce(session, "bob@example.com", "again") is Bounce.ALREADY
        assert record_bounce(session, "zed@example.com", "550") is Bounce.UNKNOWN
    status, stored, when = state(readers, "bob@example.com")
    assert (status, when) == ("bounced", True)
    assert stored is not None and len(stored) == 300
    assert stored.startswith("550 5.1.1 <bob@example.com>: user unknown xxx")


def test_a_rolled_back_transaction_records_no_bounce(readers: Flask) -> None:
    with readers.app_context(), pytest.raises(RuntimeError), write_transaction() as session:
        record_bounce(session, "cy@example.com", "550")
        raise RuntimeError("the sender failed before committing")
    assert state(readers, "cy@example.com")[0] == "confirmed"
