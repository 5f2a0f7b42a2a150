"""Signed links: tampered, expired, wrong-purpose and orphaned tokens are all refused."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import text

from portal.db import get_engine
from portal.subscriptions import tokens
from portal.subscriptions.tokens import (
    CONFIRM_MAX_AGE,
    CONFIRM_SALT,
    ExpiredToken,
    InvalidToken,
    make_confirm_token,
    make_unsubscribe_token,
    read_confirm_token,
    read_unsubscribe_token,
)
from tests.portal.subscriptions.test_subscribe_journey import (
    ADDRESS,
    confirm,
    shift_times,
    subscriber,
)
from tests.support.signup_helpers import Mailbox, csrf_token, link, sign_up

KEY = "test-secret"


def made_ago(monkeypatch: pytest.MonkeyPatch, seconds: float, subscriber_id: int = 1) -> str:
    """Return a confirmation token signed `seconds` ago."""
    signed_at = int(time.time() - seconds)
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda _self: signed_at)
        return make_confirm_token(KEY, subscriber_id, ADDRESS)


def test_tokens_name_their_subscriber_and_address() -> None:
    claim = read_confirm_token(KEY, make_confirm_token(KEY, 7, ADDRESS))
    assert claim.subscriber_id == 7 and claim.matches(ADDRESS) and not claim.matches("x@y.org")
    assert claim.issued_at is not None
    assert read_unsubscribe_token(KEY, make_unsubscribe_token(KEY, 7, ADDRESS)).subscriber_id == 7
    assert ADDRESS not in make_confirm_token(KEY, 7, ADDRESS)


def test_a_confirmation_token_expires_after_48_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = made_ago(monkeypatch, CONFIRM_MAX_AGE.total_seconds() - 60)
    assert read_confirm_token(KEY, fresh).subscriber_id == 1
    stale = made_ago(monkeypatch, CONFIRM_MAX_AGE.total_seconds() + 60)
    with pytest.raises(ExpiredToken) as expired:
        read_confirm_token(KEY, stale)
    assert expired.value.claim.subscriber_id == 1 and expired.value.claim.matches(ADDRESS)


def test_an_unsubscribe_token_never_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda _self: 0)
        token = make_unsubscribe_token(KEY, 3, ADDRESS)
    assert read_unsubscribe_token(KEY, token).subscriber_id == 3


BAD_TOKENS = {
    "tampered": lambda: make_confirm_token(KEY, 1, ADDRESS)[:-3] + "abc",
    "other-key": lambda: make_confirm_token("another-key", 1, ADDRESS),
    "wrong-purpose": lambda: make_unsubscribe_token(KEY, 1, ADDRESS),
    "garbage": lambda: "not-a-token",
    "wrong-shape": lambda: URLSafeTimedSerializer(KEY, salt=CONFIRM_SALT).dumps({"id": 1}),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_confirmation_tokens_are_invalid(kind: str) -> None:
    with pytest.raises(InvalidToken):
        read_confirm_token(KEY, BAD_TOKENS[kind]())


@pytest.mark.parametrize(
    "token",
    [make_confirm_token(KEY, 1, ADDRESS), make_unsubscribe_token(KEY, 1, ADDRESS) + "x", "x.y"],
    ids=["confirm-token", "tampered", "garbage"],
)
def test_bad_unsubscribe_tokens_are_invalid(token: str) -> None:
    with pytest.raises(InvalidToken):
        read_unsubscribe_token(KEY, token)


def test_each_purpose_has_its_own_salt() -> None:
    assert tokens.CONFIRM_SALT != tokens.UNSUBSCRIBE_SALT


@pytest.fixture
def signed_up(signup_client: FlaskClient, mailbox: Mailbox) -> Mailbox:
    """Return the mailbox after one sign-up of ADDRESS."""
    sign_up(signup_client, ADDRESS)
    return mailbox


@pytest.mark.parametrize(
    "path",
    [
        lambda m: link(m.received[0], "confirm")[:-3] + "abc",
        lambda m: "/subscribe/confirm/" + link(m.received[0], "unsubscribe").split("/")[-1],
        lambda m: "/subscribe/confirm/" + make_confirm_token("another-key", 1, ADDRESS),
    ],
    ids=["tampered", "wrong-purpose", "other-key"],
)
def test_bad_confirmation_links_confirm_nothing(
    signup_app: Flask, signup_client: FlaskClient, signed_up: Mailbox, path: object
) -> None:
    bad = path(signed_up)  # type: ignore[operator]
    page = signup_client.get(bad)
    assert page.status_code == 400 and "This link does not work" in page.text
    token = csrf_token(signup_client, "/subscribe")
    assert signup_client.post(bad, data={"csrf_token": token}).status_code == 400
    assert signup_client.post(bad + "/resend", data={"csrf_token": token}).status_code == 400
    assert subscriber(signup_app).status == "pending"  # type: ignore[union-attr]
    assert len(signed_up.received) == 1


@pytest.mark.parametrize(
    "path",
    [
        lambda m: link(m.received[0], "unsubscribe")[:-3] + "abc",
        lambda m: "/unsubscribe/" + link(m.received[0], "confirm").split("/")[-1],
    ],
    ids=["tampered", "wrong-purpose"],
)
def test_bad_unsubscribe_links_unsubscribe_nothing(
    signup_app: Flask, signup_client: FlaskClient, signed_up: Mailbox, path: object
) -> None:
    bad = path(signed_up)  # type: ignore[operator]
    assert signup_client.get(bad).status_code == 400
    assert signup_client.post(bad).status_code == 400
    assert subscriber(signup_app).status == "pending"  # type: ignore[union-attr]


def test_an_expired_link_offers_a_fresh_one(
    signup_app: Flask,
    signup_client: FlaskClient,
    signed_up: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = subscriber(signup_app)
    assert found is not None
    expired = "/subscribe/confirm/" + made_ago(monkeypatch, 49 * 3600, found.id)
    page = signup_client.get(expired)
    assert page.status_code == 410 and "This link has expired" in page.text
    token = csrf_token(signup_client, expired)
    assert signup_client.post(expired, data={"csrf_token": token}).status_code == 410
    assert subscriber(signup_app).status == "pending"  # type: ignore[union-attr]

    # Within the hour nothing more is sent, whoever asks; after it, a fresh link.
    resent = signup_client.post(expired + "/resend", data={"csrf_token": token})
    assert resent.status_code == 303 and len(signed_up.received) == 1
    shift_times(signup_app, confirmation_sent_at=-CONFIRM_MAX_AGE)
    signup_client.post(expired + "/resend", data={"csrf_token": token}, follow_redirects=True)
    [_, fresh] = signed_up.received
    confirm(signup_client, link(fresh, "confirm"))
    assert subscriber(signup_app).status == "confirmed"  # type: ignore[union-attr]


def test_links_of_a_forgotten_subscriber_no_longer_work(
    signup_client: FlaskClient, signed_up: Mailbox, signup_app: Flask
) -> None:
    old_id = subscriber(signup_app).id  # type: ignore[union-attr]
    confirm_link = link(signed_up.received[0], "confirm")
    runner: FlaskCliRunner = signup_app.test_cli_runner()
    assert runner.invoke(args=["subscribers", "forget", ADDRESS]).exit_code == 0
    assert signup_client.get(confirm_link).status_code == 400
    unsubscribe = signup_client.post(link(signed_up.received[0], "unsubscribe"))
    assert unsubscribe.status_code == 200  # nothing to unsubscribe, and nothing to reveal
    assert subscriber(signup_app) is None

    # SQLite hands the freed id to the next subscriber: the old link must not confirm them.
    _hand_out_again(signup_app, old_id)
    sign_up(signup_client, "someone.else@example.com")
    assert subscriber(signup_app, "someone.else@example.com").id == old_id  # type: ignore[union-attr]
    token = csrf_token(signup_client, "/subscribe")
    assert signup_client.post(confirm_link, data={"csrf_token": token}).status_code == 400
    assert subscriber(signup_app, "someone.else@example.com").status == "pending"  # type: ignore[union-attr]


def _hand_out_again(app: Flask, subscriber_id: int) -> None:
    """Make the next subscriber get `subscriber_id`, as SQLite does by itself after a delete."""
    with app.app_context():
        engine = get_engine()
        if engine.dialect.name == "postgresql":  # a sequence never goes back on its own
            with engine.begin() as connection:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence('subscribers', 'id'), :id, false)"),
                    {"id": subscriber_id},
                )


def _payload(token: str) -> list[object]:
    """Return the signed payload of a token."""
    loaded = URLSafeTimedSerializer(KEY, salt=CONFIRM_SALT).load_payload(
        token.split(".")[0].encode()
    )
    assert isinstance(loaded, list)
    return loaded


def test_the_address_digest_is_keyed_not_a_bare_sha256() -> None:
    import hashlib

    bare = hashlib.sha256(ADDRESS.encode()).hexdigest()[:16]
    for token in (make_confirm_token(KEY, 7, ADDRESS), make_unsubscribe_token(KEY, 7, ADDRESS)):
        assert _payload(token)[1] != bare
    assert (
        _payload(make_confirm_token("other", 7, ADDRESS))[1]
        != _payload(make_confirm_token(KEY, 7, ADDRESS))[1]
    )


@pytest.mark.parametrize(
    ("reader", "salt", "accepted"),
    [
        (read_unsubscribe_token, tokens.UNSUBSCRIBE_SALT, True),
        (read_confirm_token, CONFIRM_SALT, False),
    ],
)
def test_old_unkeyed_unsubscribe_links_still_work(
    reader: object, salt: str, accepted: bool
) -> None:
    import hashlib

    from itsdangerous import URLSafeSerializer

    bare = hashlib.sha256(ADDRESS.encode()).hexdigest()[:16]
    cls = URLSafeSerializer if salt == tokens.UNSUBSCRIBE_SALT else URLSafeTimedSerializer
    old = cls(KEY, salt=salt).dumps([5, bare])
    assert callable(reader)
    claim = reader(KEY, old)
    assert claim.matches(ADDRESS) is accepted and not claim.matches("x@y.org")


def test_a_claim_never_shows_the_secret_key() -> None:
    token = make_unsubscribe_token("do-not-log-this-key", 7, "reader@example.com")
    claim = read_unsubscribe_token("do-not-log-this-key", token)
    assert "do-not-log-this-key" not in repr(claim)
    assert claim.matches("reader@example.com")
