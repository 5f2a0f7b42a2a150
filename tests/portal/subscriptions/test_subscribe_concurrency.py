"""Many sign-ups at once through a real gunicorn server with several workers, on both backends."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from portal.db import get_engine
from tests.conftest import DatabaseFactory
from tests.portal.views.test_subscribe_form import stored
from tests.support.serving import (
    PATIENCE,
    Server,
    filled_signup_form,
    gunicorn,
    portal_environment,
    post_form,
    query,
)
from tests.support.signup_helpers import Mailbox, sign_up

WORKERS = 3
DISTINCT = 50
SAME = 20


@pytest.fixture
def server(tmp_path: Path, make_database: DatabaseFactory, mailbox: Mailbox) -> Iterator[Server]:
    """Return a gunicorn with several workers serving the portal on a fresh database."""
    env = portal_environment(make_database(), mailbox, tmp_path / "mail")
    with gunicorn(env, tmp_path / "gunicorn.log", workers=WORKERS) as running:
        yield running


def _sign_up_over_http(host: str, address: str, start: threading.Barrier) -> int:
    """GET the form like a browser, wait for everyone, then POST it; return the status."""
    form = filled_signup_form(host, address)
    start.wait(timeout=PATIENCE)
    return post_form(host, form)


def _outbox(database: str) -> Counter[str]:
    return Counter(status for (status,) in query(database, "SELECT status FROM outbox"))


def _wait_for_the_outbox_to_drain(database: str, expected: int) -> Counter[str]:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        counts = _outbox(database)
        if counts["sent"] + counts["queued"] >= expected and counts["queued"] == 0:
            return counts
        time.sleep(0.2)
    return _outbox(database)


def test_concurrent_sign_ups_lose_nobody_and_send_no_duplicates(
    server: Server, mailbox: Mailbox
) -> None:
    addresses = [f"reader{n}@example.com" for n in range(DISTINCT)]
    addresses += ["Popular@Example.com"] * SAME
    start = threading.Barrier(len(addresses))
    with ThreadPoolExecutor(max_workers=len(addresses)) as pool:
        statuses = list(pool.map(lambda a: _sign_up_over_http(server.host, a, start), addresses))
    assert statuses == [303] * len(addresses), server.log.read_text()[-6000:]

    outbox = _wait_for_the_outbox_to_drain(server.database, DISTINCT + 1)
    assert outbox == Counter({"sent": DISTINCT + 1})
    rows = query(server.database, "SELECT email, status FROM subscribers")
    assert len(rows) == DISTINCT + 1
    assert {email for email, _ in rows} == {a.lower() for a in addresses}
    assert {status for _, status in rows} == {"pending"}

    recipients = Counter(r for received in mailbox.received for r in received.recipients)
    assert recipients == Counter({a.lower(): 1 for a in addresses})
    log = server.log.read_text()
    for trouble in ("Traceback", "database is locked", "left queued", "[ERROR]"):
        assert trouble not in log, log


def _replace(parameters: Any, old: object, new: object) -> Any:
    """Return the statement parameters with `old` swapped for `new` (a tuple or a mapping)."""
    if isinstance(parameters, Mapping):  # psycopg takes named parameters, sqlite3 a tuple
        return {key: new if value == old else value for key, value in parameters.items()}
    return tuple(new if value == old else value for value in parameters)


def test_losing_the_race_to_insert_an_address_counts_as_an_existing_subscriber(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox
) -> None:
    # On PostgreSQL two first sign-ups of one address can both miss it and both insert;
    # replay that here by making the first lookup miss, so the insert hits the unique key.
    sign_up(signup_client, "reader@example.com")
    missed: list[str] = []

    def miss_once(
        _conn: object, _cursor: object, statement: str, parameters: Any, *_: object
    ) -> tuple[str, Any]:
        if not missed and statement.startswith("SELECT subscribers.") and "email" in statement:
            missed.append(statement)
            parameters = _replace(parameters, "reader@example.com", "nobody@example.invalid")
        return statement, parameters

    with signup_app.app_context():
        engine = get_engine()
    event.listen(engine, "before_cursor_execute", miss_once, retval=True)
    try:
        response = sign_up(signup_client, "reader@example.com")
    finally:
        event.remove(engine, "before_cursor_execute", miss_once)
    assert missed, "the lookup was not intercepted"
    assert response.request.path == "/subscribe/check-your-inbox"
    assert stored(signup_app) == ["reader@example.com"]
    assert len(mailbox.received) == 1
