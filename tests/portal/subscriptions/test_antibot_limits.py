"""Anti-bot limits that hold: a form's note works once and for an hour; IPv6 counts by /64."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from portal.limits import client_key
from portal.subscriptions.forms import _STARTED_SALT, NOTE_MAX_AGE_SECONDS
from tests.conftest import AppFactory
from tests.portal.views.test_subscribe_form import stored
from tests.support.signup_helpers import Mailbox, free_port, hidden_fields, mail_settings


def _post(client: FlaskClient, fields: dict[str, str], address: str, remote: str = "") -> int:
    environ = {"REMOTE_ADDR": remote} if remote else {}
    data = fields | {"email": address}
    with client.post("/subscribe", data=data, environ_base=environ) as response:
        return response.status_code  # closing the response delivers its mail


def test_a_form_sent_again_as_it_was_is_silently_ignored(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    fields = hidden_fields(signup_client.get("/subscribe").text)
    assert _post(signup_client, fields, "first@example.com") == 303
    assert _post(signup_client, fields, "replayed@example.com") == 303  # the same answer...
    assert stored(signup_app) == ["first@example.com"]  # ...but nothing was done
    assert [r.recipients for r in mailbox.received] == [["first@example.com"]]


class _ShownLongAgo(TimestampSigner):
    """A signer whose notes carry a time NOTE_MAX_AGE_SECONDS and a minute ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - NOTE_MAX_AGE_SECONDS - 60


def test_a_note_older_than_an_hour_is_silently_ignored(
    signup_app: Flask, signup_client: FlaskClient
) -> None:
    fields = hidden_fields(signup_client.get("/subscribe").text)
    shown = time.time() - NOTE_MAX_AGE_SECONDS - 60
    note = f"signup:{shown:.3f}:abc".encode()
    fields["started"] = _ShownLongAgo("test-secret", salt=_STARTED_SALT).sign(note).decode()
    assert _post(signup_client, fields, "late@example.com") == 303
    assert stored(signup_app) == []


@pytest.mark.parametrize(
    "refusal",
    [{"email": "not an address"}, {"csrf_token": "stale"}],
    ids=["invalid-address", "stale-csrf-token"],
)
def test_a_form_shown_again_with_a_problem_can_be_sent_once_more(
    signup_app: Flask, signup_client: FlaskClient, refusal: dict[str, str]
) -> None:
    fields = hidden_fields(signup_client.get("/subscribe").text)
    refused = signup_client.post("/subscribe", data=fields | {"email": "r@example.com"} | refusal)
    assert refused.status_code in (400, 422)
    again = hidden_fields(refused.text)
    assert again["started"] != fields["started"]  # a fresh note (the old one may be spent)
    time.sleep(1.1)  # the shown-again form counts as filled in: PREFILLED_MIN_SECONDS
    assert _post(signup_client, again, "r@example.com") == 303
    assert stored(signup_app) == ["r@example.com"]


CLIENT_KEYS = [
    ("192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:DB8:1:3::1", "2001:db8:1:3::/64"),
    ("::ffff:192.0.2.7", "192.0.2.7"),  # an IPv4 client on a dual-stack socket
    ("::1", "::/64"),
    ("unix-socket-peer", "unix-socket-peer"),
]


@pytest.mark.parametrize(("address", "key"), CLIENT_KEYS)
def test_clients_are_counted_by_ipv4_address_or_ipv6_64(address: str, key: str) -> None:
    assert client_key(address) == key


def test_an_ipv6_client_changing_address_within_its_64_stays_limited(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: Path
) -> None:
    app = make_app(**mail_settings(mailbox.port, tmp_path) | {"SIGNUP_RATE_LIMIT": "2 per hour"})
    client = app.test_client()
    answers = []
    for number, remote in enumerate(
        ["2001:db8::1", "2001:db8::2", "2001:db8::ffff:1", "2001:db8:0:1::1"]
    ):
        fields = hidden_fields(client.get("/subscribe").text)
        answers.append(_post(client, fields, f"r{number}@example.com", remote))
    # The third address is in the same /64 as the first two; the fourth is another /64.
    assert answers == [303, 303, 429, 303]


def test_the_note_is_random_so_two_forms_never_share_one(signup_client: FlaskClient) -> None:
    notes = {hidden_fields(signup_client.get("/subscribe").text)["started"] for _ in range(5)}
    assert len(notes) == 5
    assert all(re.fullmatch(r"[\w:.-]+", note) for note in notes)


def test_a_shared_store_that_is_down_lets_sign_ups_through_with_a_log_line(
    make_app: AppFactory, mailbox: Mailbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nothing_listens = f"redis://127.0.0.1:{free_port()}"
    settings = mail_settings(mailbox.port, tmp_path) | {"RATELIMIT_STORAGE_URI": nothing_listens}
    app = make_app(**settings)
    client = app.test_client()
    assert _post(client, hidden_fields(client.get("/subscribe").text), "r@example.com") == 303
    assert stored(app) == ["r@example.com"]
    assert "form notes cannot be checked, storage unavailable" in caplog.text


@pytest.mark.parametrize(
    ("environment", "storage", "warned"),
    [
        ("production", "memory://", True),
        ("production", "redis://127.0.0.1:6379", False),
        ("development", "memory://", False),
    ],
)
def test_production_with_per_worker_counters_says_so_at_start(
    make_app: AppFactory,
    caplog: pytest.LogCaptureFixture,
    environment: str,
    storage: str,
    warned: bool,
) -> None:
    make_app(ENV=environment, RATELIMIT_STORAGE_URI=storage)
    assert ("counted in each worker process" in caplog.text) is warned


@pytest.mark.sqlite_only("an unreachable SQLite file stands for any database outage")
def test_a_form_whose_sign_up_failed_can_be_sent_again(
    backend: str,
    make_app: AppFactory,
    migrated_database: Path,
    mailbox: Mailbox,
    tmp_path: Path,
) -> None:
    live = tmp_path / "not-yet" / "portal.sqlite3"  # its folder is missing: cannot open
    app = make_app(**mail_settings(mailbox.port, tmp_path) | {"DATABASE_URL": f"sqlite:///{live}"})
    client = app.test_client()
    fields = hidden_fields(client.get("/subscribe").text)
    assert _post(client, fields, "r@example.com") == 503
    live.parent.mkdir()
    shutil.copy(migrated_database, live)
    assert _post(client, fields, "r@example.com") == 303  # the same form, sent again
    assert stored(app) == ["r@example.com"]
