"""A gunicorn worker killed (SIGKILL) in the middle of a sign-up leaves nothing half-written.

A sign-up commits its subscriber row and its confirmation email (an outbox row) in one
transaction, then sends the email after the response. Two places to die:

- in the mail step: the SMTP server holds the DATA answer, so the worker is provably
  sending; the worker holding that SMTP connection is killed. The email stays queued,
  claimed for ten minutes, and `flask outbox send` delivers it once after that.
- in the transaction: a test build of the app pauses the sign-up after its subscriber row is
  written and before its outbox row is; that worker is killed. Nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from portal.models import OutboxMessage
from portal.settings import PROJECT_ROOT
from tests.conftest import DatabaseFactory
from tests.support.serving import (
    PATIENCE,
    Server,
    gunicorn,
    owner_of_connection,
    portal_environment,
    query,
    sign_up_over_http,
    wait_until_gone,
)
from tests.support.signup_helpers import HoldingMailbox, link

WORKERS = 3
# Well under the 30 s SQLite busy timeout the servers here have, yet patient with a busy machine.
PROMPT = 10.0


@pytest.fixture
def holding_mailbox() -> Iterator[HoldingMailbox]:
    """Return a running SMTP server that can hold the DATA answer."""
    server = HoldingMailbox()
    server.start()
    yield server
    server.released.set()
    server.stop()


def _environment(
    database: str, mailbox: HoldingMailbox, tmp_path: Path, **extra: str
) -> dict[str, str]:
    # An SMTP timeout longer than the test, so the held worker waits until it is killed.
    return portal_environment(
        database, mailbox, tmp_path / "mail", PORTAL_SMTP_TIMEOUT_SECONDS="600", **extra
    )


def _inconsistencies(database: str) -> list[str]:
    """Return subscribers waiting for a confirmation that is not queued, and orphan emails."""
    unconfirmed = query(
        database,
        "SELECT s.email FROM subscribers s WHERE s.status = 'pending' AND NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.subscriber_id = s.id AND o.kind = 'confirmation')",
    )
    orphans = query(
        database,
        "SELECT o.recipient FROM outbox o LEFT JOIN subscribers s ON s.id = o.subscriber_id "
        "WHERE s.id IS NULL",
    )
    return [f"no confirmation for {e}" for (e,) in unconfirmed] + [
        f"email to {r} without a subscriber" for (r,) in orphans
    ]


def _outbox(database: str, address: str) -> list[tuple[str, str, int]]:
    return [
        (kind, status, attempts)
        for kind, status, attempts in query(
            database,
            f"SELECT kind, status, attempts FROM outbox WHERE recipient = '{address}' ORDER BY id",
        )
    ]


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def _ten_minutes_pass(database: str) -> None:
    """Let every claim on the outbox run out, as it does ten minutes after a sender died."""
    engine = create_engine(database)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    try:
        with engine.begin() as connection:
            connection.execute(update(OutboxMessage).values(claimed_until=past))
    finally:
        engine.dispose()


def _confirm_over_http(host: str, path: str) -> int:
    """Open a confirmation link and press its button; return the status of the POST."""
    connection = http.client.HTTPConnection(host, timeout=PATIENCE)
    try:
        connection.request("GET", path)
        page = connection.getresponse()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
        assert token, "no Confirm form"
        cookie = (page.getheader("Set-Cookie") or "").split(";")[0]
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        connection.request("POST", path, f"csrf_token={token.group(1)}", headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def _kill(server: Server, pid: int) -> None:
    assert pid in server.workers(), (pid, server.workers())
    os.kill(pid, signal.SIGKILL)
    wait_until_gone(pid)
    deadline = time.monotonic() + PATIENCE
    while len(server.workers()) < WORKERS:  # gunicorn replaces the worker
        assert time.monotonic() < deadline, server.tail()
        time.sleep(0.1)


def _wait_for_mail(mailbox: HoldingMailbox, address: str, count: int) -> None:
    deadline = time.monotonic() + PATIENCE
    while len(mailbox.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def _wait_for_sent(database: str, address: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while _outbox(database, address) != [("confirmation", "sent", 1)]:
        assert time.monotonic() < deadline, _outbox(database, address)
        time.sleep(0.1)


def _confirmed_once(server: Server, mailbox: HoldingMailbox, address: str) -> None:
    """Assert the address got exactly one confirmation, and that its link confirms."""
    confirmations = mailbox.to(address)
    assert len(confirmations) == 1, [m.message["Subject"] for m in confirmations]
    assert _confirm_over_http(server.host, link(confirmations[0], "confirm")) == 303
    rows = query(server.database, f"SELECT status FROM subscribers WHERE email = '{address}'")
    assert rows == [("confirmed",)]


def test_a_worker_killed_while_sending_the_confirmation_leaves_it_queued_for_one_delivery(
    make_database: DatabaseFactory, holding_mailbox: HoldingMailbox, tmp_path: Path
) -> None:
    mailbox, address = holding_mailbox, "killed-mid-mail@example.com"
    env = _environment(make_database(), mailbox, tmp_path)
    with gunicorn(env, tmp_path / "gunicorn.log", workers=WORKERS) as server:
        mailbox.holding.set()
        # The answer comes first; the email is sent after it, in the same worker.
        assert sign_up_over_http(server.host, address) == 303
        assert mailbox.arrived.wait(PATIENCE), server.tail()
        sender = owner_of_connection(mailbox.held_from[0][1], server.workers())
        assert sender is not None, "no worker holds the SMTP connection"
        _kill(server, sender)
        mailbox.released.set()
        mailbox.holding.clear()
        assert mailbox.to(address) == []  # the server never acknowledged it
        assert _inconsistencies(server.database) == []
        assert _outbox(server.database, address) == [("confirmation", "queued", 0)]

        # Signing up again within the hour sends nothing new: one confirmation is queued.
        assert sign_up_over_http(server.host, address) == 303
        assert _outbox(server.database, address) == [("confirmation", "queued", 0)]
        # While the dead sender's claim lasts, nobody else sends it.
        assert _flask(env, "outbox", "send") == "Sent 0, failed 0."

        _ten_minutes_pass(server.database)
        assert _flask(env, "outbox", "send") == "Sent 1, failed 0."
        assert _flask(env, "outbox", "send") == "Sent 0, failed 0."
        _confirmed_once(server, mailbox, address)
        assert _inconsistencies(server.database) == []


def test_a_worker_killed_inside_the_sign_up_transaction_stores_nothing_of_it(
    make_database: DatabaseFactory, holding_mailbox: HoldingMailbox, tmp_path: Path
) -> None:
    mailbox, address = holding_mailbox, "killed-mid-write@example.com"
    marker = tmp_path / "stalled-worker"
    env = _environment(
        make_database(), mailbox, tmp_path, STALL_MARKER=str(marker), STALL_ADDRESS=address
    )
    app = "tests.support.stalling_wsgi:app"
    with gunicorn(env, tmp_path / "gunicorn.log", workers=WORKERS, app=app) as server:
        # A sign-up done before: its email must be sent before the kill, or the kill may
        # catch it in the mail step (the other test's case).
        assert sign_up_over_http(server.host, "before@example.com") == 303
        _wait_for_sent(server.database, "before@example.com")
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight = pool.submit(sign_up_over_http, server.host, address)
            deadline = time.monotonic() + PATIENCE
            while not marker.exists() or not marker.read_text():
                assert time.monotonic() < deadline and not in_flight.done(), server.tail()
                time.sleep(0.05)
            _kill(server, int(marker.read_text()))
            with pytest.raises((OSError, http.client.HTTPException)):
                in_flight.result(timeout=PATIENCE)  # the request in flight is lost
        assert query(server.database, f"SELECT id FROM subscribers WHERE email = '{address}'") == []
        assert _outbox(server.database, address) == []
        assert _inconsistencies(server.database) == []
        if server.database.startswith("sqlite"):
            assert query(server.database, "PRAGMA integrity_check") == [("ok",)]

        # The dead transaction holds no lock: signing up again goes through at once.
        started = time.monotonic()
        assert sign_up_over_http(server.host, address) == 303
        assert time.monotonic() - started < PROMPT, "the sign-up waited for a lock"
        _wait_for_mail(mailbox, address, 1)
        _confirmed_once(server, mailbox, address)
        assert len(mailbox.to("before@example.com")) == 1
        assert _inconsistencies(server.database) == []
