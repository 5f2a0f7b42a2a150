"""Real `flask newsletter send` processes: killed with SIGKILL and resumed, and two at once."""

from __future__ import annotations

import itertools
import os
import pty
import re
import select
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from portal import create_app
from tests.conftest import AppFactory, close_app
from tests.portal.newsletter.delivery_helpers import (
    add_edition,
    add_subscribers,
    address,
    flask_process,
    process_env,
)
from tests.support import pg
from tests.support.processes import stop
from tests.support.smtp_server import Behaviour, SmtpServer

READERS = 150
CONNECTIONS = 2
KILLS = 2
_numbers = itertools.count()


@pytest.fixture
def slow_smtp() -> Iterator[SmtpServer]:
    """Return an SMTP server that takes 20 ms over each message, so a kill lands mid-send."""
    server = SmtpServer(Behaviour(delay=0.02)).start()
    yield server
    server.stop()


def _wait_for(server: SmtpServer, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while sum(server.counts.values()) < count:
        assert time.monotonic() < deadline, f"only {sum(server.counts.values())} messages came"
        time.sleep(0.01)


def _run(app: Flask, server: SmtpServer, log: Path, **env: str) -> int:
    process = flask_process(
        ["newsletter", "send", "first", "--yes"], process_env(app, server.port, **env), log
    )
    return process.wait(timeout=120)


@pytest.mark.sqlite_only(reason="one file database is enough to kill a sender over")
def test_a_sender_killed_twice_loses_nobody_and_repeats_only_what_was_in_flight(
    make_app: AppFactory, slow_smtp: SmtpServer, tmp_path: Path
) -> None:
    app = make_app()
    add_edition(app, "first")
    add_subscribers(app, range(READERS))
    env = process_env(
        app,
        slow_smtp.port,
        PORTAL_MAIL_CONNECTIONS=str(CONNECTIONS),
        TEST_LEASE_SECONDS="2",  # a dead sender's claims run out in 2 s instead of 60
    )
    log = tmp_path / "send.log"
    for reached in (20, 70):
        process = flask_process(["newsletter", "send", "first", "--yes"], env, log)
        _wait_for(slow_smtp, reached)
        stop(process, signal.SIGKILL, timeout=10)
    assert _run(app, slow_smtp, log, TEST_LEASE_SECONDS="2") == 0, log.read_text()
    assert set(slow_smtp.counts) == {address(n) for n in range(READERS)}, "somebody was lost"
    twice = {mail: count for mail, count in slow_smtp.counts.items() if count > 1}
    # Only messages in flight at a kill: per connection, the one in its SMTP transaction
    # and one accepted but not yet marked delivered (marks are gathered for 20 ms).
    assert len(twice) <= KILLS * 2 * CONNECTIONS, twice
    assert max(slow_smtp.counts.values()) <= 2
    for mail in twice:
        assert len(set(slow_smtp.message_ids(mail))) == 1, "a repeat must keep its Message-ID"
    assert "first: 150 delivered, 0 waiting" in log.read_text()


@pytest.fixture
def postgres_app(
    postgres_server: pg.PostgresServer, postgres_template: str, tmp_path: Path
) -> Iterator[Flask]:
    """Return an app on a fresh copy of the migrated PostgreSQL database."""
    name = f"newsletter_{next(_numbers)}"
    postgres_server.execute(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": postgres_server.url(name),
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )
    yield app
    close_app(app)
    postgres_server.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_two_senders_on_postgresql_split_the_work_and_mail_each_reader_once(
    postgres_app: Flask, tmp_path: Path
) -> None:
    server = SmtpServer(Behaviour(delay=0.05)).start()
    try:
        add_edition(postgres_app, "first")
        add_subscribers(postgres_app, range(300))
        # A 3 s lease: the senders must renew their claims (every second) all along, or
        # each would take over the other's queued rows and mail them twice.
        env = process_env(
            postgres_app, server.port, PORTAL_MAIL_CONNECTIONS="2", TEST_LEASE_SECONDS="3"
        )
        logs = [tmp_path / "one.log", tmp_path / "two.log"]
        senders = [
            flask_process(["newsletter", "send", "first", "--yes"], env, log) for log in logs
        ]
        assert [sender.wait(timeout=120) for sender in senders] == [0, 0], [
            log.read_text() for log in logs
        ]
    finally:
        server.stop()
    assert server.counts == {address(n): 1 for n in range(300)}
    shares = [int(re.findall(r"this run sent (\d+)", log.read_text())[-1]) for log in logs]
    assert sum(shares) == 300 and min(shares) > 0, shares


@pytest.mark.sqlite_only(reason="the terminal dialogue only")
def test_on_a_terminal_send_asks_first_and_shows_progress(
    make_app: AppFactory, slow_smtp: SmtpServer
) -> None:
    app = make_app()
    add_edition(app, "first")
    add_subscribers(app, range(12))
    env = process_env(app, slow_smtp.port)
    main, terminal = pty.openpty()
    process = flask_process(["newsletter", "send", "first"], env, terminal=terminal)
    os.close(terminal)
    try:
        seen = _read_until(main, b"[y/N]")
        assert b"Send 'Edition first' (first) to 12 subscriber(s)?" in seen
        os.write(main, b"y\n")
        seen = _read_until(main, b"of 12")
        assert process.wait(timeout=60) == 0
    finally:
        stop(process, signal.SIGKILL, timeout=5)
        os.close(main)
    assert b"Sending" in seen  # the progress bar
    assert b"first: 12 delivered, 0 waiting" in seen
    assert len(slow_smtp.counts) == 12


def _read_until(fd: int, marker: bytes, timeout: float = 60.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, seen
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the terminal closed: the process ended
                break
    return seen


@pytest.mark.sqlite_only(reason="one file database is enough to interrupt a sender on")
def test_ctrl_c_gives_back_the_claims_so_the_next_send_goes_on_at_once(
    make_app: AppFactory, slow_smtp: SmtpServer, tmp_path: Path
) -> None:
    app = make_app()
    add_edition(app, "first")
    add_subscribers(app, range(READERS))
    env = process_env(app, slow_smtp.port, PORTAL_MAIL_CONNECTIONS=str(CONNECTIONS))
    log = tmp_path / "send.log"
    process = flask_process(["newsletter", "send", "first", "--yes"], env, log)
    _wait_for(slow_smtp, 20)
    stop(process, signal.SIGINT, timeout=30)
    started = time.monotonic()
    # The full 60 s lease: only a release by the interrupted sender lets this go on at once.
    assert _run(app, slow_smtp, log) == 0, log.read_text()
    assert time.monotonic() - started < 40, "the resumed send waited for the old claims"
    assert set(slow_smtp.counts) == {address(n) for n in range(READERS)}
    assert max(slow_smtp.counts.values()) == 1, "an interrupted sender records what it sent"
