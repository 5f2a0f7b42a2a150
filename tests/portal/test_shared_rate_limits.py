"""Sign-up limits and single-use form notes hold across workers and hosts counted in Redis.

Real gunicorn servers, a real redis-server (tests/support/redis_server.py), real HTTP. A
keep-alive connection stays with the worker that accepted it, so a "browser" here is one
connection, and the test knows which worker serves it.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import DatabaseFactory
from tests.support.redis_server import RedisServer, running_redis
from tests.support.serving import (
    PATIENCE,
    Server,
    gunicorn,
    portal_environment,
    query,
    worker_serving,
)
from tests.support.signup_helpers import Mailbox, hidden_fields

LIMIT = 3
TRIES = 8
# gunicorn closes an idle keep-alive connection after 2 s by default; a slow machine may
# leave one idle that long while the test finds a connection to the other worker.
KEEP_ALIVE = {"GUNICORN_CMD_ARGS": "--keep-alive 120"}


class Browser:
    """One keep-alive connection with its session cookie: every request goes to one worker."""

    def __init__(self, host: str) -> None:
        self.connection = http.client.HTTPConnection(host, timeout=PATIENCE)
        self.cookie = ""

    def form(self) -> dict[str, str]:
        """GET the sign-up form; return its hidden fields."""
        self.connection.request("GET", "/subscribe", headers={"Cookie": self.cookie})
        response = self.connection.getresponse()
        page = response.read().decode()
        self.cookie = (response.getheader("Set-Cookie") or self.cookie).split(";")[0]
        return hidden_fields(page)

    def sign_up(self, address: str, fields: dict[str, str], cookie: str = "") -> int:
        """POST a filled-in form; return the status."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        headers["Cookie"] = cookie or self.cookie
        body = urlencode(fields | {"email": address})
        self.connection.request("POST", "/subscribe", body, headers)
        response = self.connection.getresponse()
        response.read()
        return response.status

    def local_port(self) -> int:
        """Return the client port of the connection (open once a request was made)."""
        assert self.connection.sock is not None
        port: int = self.connection.sock.getsockname()[1]
        return port


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """Return a redis-server of this test's own, stopped by its PID at the end."""
    with running_redis() as server:
        yield server


def _environment(database: str, mailbox: Mailbox, tmp_path: Path, storage: str) -> dict[str, str]:
    return portal_environment(
        database,
        mailbox,
        tmp_path / "mail",
        PORTAL_SIGNUP_RATE_LIMIT=f"{LIMIT} per hour",
        PORTAL_RATELIMIT_STORAGE_URI=storage,
        **KEEP_ALIVE,
    )


def _one_browser_per_worker(server: Server) -> list[Browser]:
    """Open connections until two workers each hold one (the second may still be starting)."""
    chosen: dict[int, Browser] = {}
    deadline = time.monotonic() + PATIENCE
    while len(chosen) < 2 and time.monotonic() < deadline:
        browser = Browser(server.host)
        browser.form()
        worker = worker_serving(browser.local_port(), server.workers())
        if worker is None or worker in chosen:
            browser.connection.close()
            time.sleep(0.05)
        else:
            chosen[worker] = browser
    if len(chosen) < 2:
        _close(list(chosen.values()))
        pytest.fail(f"every connection went to one worker:\n{server.tail()}")
    return list(chosen.values())


def _close(browsers: list[Browser]) -> None:
    for browser in browsers:
        browser.connection.close()


def _alternate_sign_ups(browsers: list[Browser]) -> list[int]:
    """Sign up TRIES addresses, each with a fresh form, taking the browsers in turn."""
    statuses = []
    for number in range(TRIES):
        browser = browsers[number % len(browsers)]
        statuses.append(browser.sign_up(f"r{number}@example.com", browser.form()))
    return statuses


@pytest.mark.sqlite_only("the counters live in Redis or in each worker, not in the database")
@pytest.mark.parametrize(
    ("storage", "allowed"),
    # memory:// (the default) counts in each worker: two workers let twice the limit through.
    [("redis", LIMIT), ("memory://", 2 * LIMIT)],
    ids=["redis", "memory"],
)
def test_two_workers_share_one_limit_counted_in_redis(
    backend: str,
    make_database: DatabaseFactory,
    mailbox: Mailbox,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    storage: str,
    allowed: int,
) -> None:
    if storage == "redis":
        storage = request.getfixturevalue("redis_server").url
    env = _environment(make_database(), mailbox, tmp_path, storage)
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
        browsers = _one_browser_per_worker(server)
        try:
            statuses = _alternate_sign_ups(browsers)
        finally:
            _close(browsers)
        assert statuses == [303] * allowed + [429] * (TRIES - allowed), server.tail()


def test_two_hosts_share_one_limit_and_a_form_works_on_one_of_them_once(
    make_database: DatabaseFactory, mailbox: Mailbox, tmp_path: Path, redis_server: RedisServer
) -> None:
    env = _environment(make_database(), mailbox, tmp_path, redis_server.url)
    with (
        gunicorn(env, tmp_path / "host-a.log", workers=1) as host_a,
        gunicorn(env, tmp_path / "host-b.log", workers=1) as host_b,
    ):
        browser_a, browser_b = Browser(host_a.host), Browser(host_b.host)
        try:
            fields = browser_a.form()
            assert browser_a.sign_up("first@example.com", fields) == 303
            # The same form sent to the other host: the same answer, and nothing done.
            assert browser_b.sign_up("replay@example.com", fields, browser_a.cookie) == 303
            statuses = _alternate_sign_ups([browser_a, browser_b])
        finally:
            _close([browser_a, browser_b])
    # Two of the client's LIMIT sign-ups went on the form and its replay.
    assert statuses == [303] * (LIMIT - 2) + [429] * (TRIES - LIMIT + 2)
    emails = [row.email for row in query(host_a.database, "SELECT email FROM subscribers")]
    assert sorted(emails) == ["first@example.com", "r0@example.com"]
    assert redis_server.keys("*LIMITER*") and redis_server.keys("*portal/signup-note-used/*")
