"""The database going away under a running gunicorn: 503 pages, then 200 again without a restart.

PostgreSQL is stopped, started and restarted here, so this module has a server of its own
rather than the session's shared one.
"""

from __future__ import annotations

import http.client
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from portal import create_app, settings
from portal.migrations import migrate
from tests.conftest import ARCHIVE
from tests.support import pg
from tests.support.serving import PATIENCE, Server, gunicorn, portal_environment
from tests.support.signup_helpers import Mailbox

PAGES = ("/", "/editions/", "/editions/will-platforms-conquer-the-world", "/themes/platforms")
# A refused connection is answered at once; this bounds a 503 with time to spare on a busy machine.
PROMPT = 5.0
CONTENT_CHECK_SECONDS = settings.defaults()["CONTENT_CHECK_SECONDS"]


@dataclass(frozen=True)
class Answer:
    """One response: status, Retry-After header, body, and how long it took."""

    status: int
    retry_after: str | None
    body: str
    seconds: float


def _get(host: str, path: str) -> Answer:
    start = time.monotonic()
    connection = http.client.HTTPConnection(host, timeout=PATIENCE)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        seconds = time.monotonic() - start
        return Answer(response.status, response.getheader("Retry-After"), body, seconds)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[pg.PostgresServer]:
    """Return a PostgreSQL server for this module alone, stopped by its PID at the end."""
    server = pg.start()
    try:
        yield server
    finally:
        server.stop()


def _seeded(database: str, index_dir: Path) -> None:
    """Migrate the database and import the bundled archive into it."""
    engine = create_engine(database)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": database, "SECRET_KEY": "x", "INDEX_DIR": str(index_dir)})
    result = app.test_cli_runner().invoke(args=["editions", "import", str(ARCHIVE)])
    assert result.exit_code == 0, result.output
    app.extensions["portal.db"]["engine"].dispose()


@pytest.fixture
def portal_on_postgres(
    own_postgres: pg.PostgresServer, tmp_path: Path, mailbox: Mailbox
) -> Iterator[Server]:
    """Return a gunicorn with two workers on a fresh, seeded database of the module's server."""
    name = f"outage_{os.getpid()}_{time.monotonic_ns()}"
    own_postgres.execute(f"CREATE DATABASE {name}")
    database = own_postgres.url(name)
    _seeded(database, tmp_path / "index")
    env = portal_environment(
        database,
        mailbox,
        tmp_path / "mail",
        PORTAL_INDEX_DIR=str(tmp_path / "index"),
        GUNICORN_ACCESS_LOG="",  # so a failure shows the errors, not the requests
    )
    try:
        with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
            yield server
    finally:
        if own_postgres.process.poll() is not None:
            own_postgres.start_again()
        own_postgres.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _all_pages(host: str, rounds: int = 3) -> list[Answer]:
    return [_get(host, path) for _ in range(rounds) for path in PAGES]


def test_postgresql_stopped_answers_503_and_started_again_answers_200(
    portal_on_postgres: Server, own_postgres: pg.PostgresServer
) -> None:
    server = portal_on_postgres
    assert {a.status for a in _all_pages(server.host)} == {200}, server.tail()
    workers = server.workers()

    own_postgres.shut_down()
    # A page a worker rendered is answered from memory until the worker next asks the
    # database for the content version (CONTENT_CHECK_SECONDS); after that, 503s.
    time.sleep(CONTENT_CHECK_SECONDS + 0.5)
    down = _all_pages(server.host)
    assert {a.status for a in down} == {503}, server.tail()
    assert {a.retry_after for a in down} == {"30"}
    assert all("out of reach for a moment" in a.body for a in down)
    assert max(a.seconds for a in down) < PROMPT

    own_postgres.start_again()
    back = _all_pages(server.host)
    assert [a.status for a in back] == [200] * len(back), server.tail()
    assert server.workers() == workers, "a worker was restarted"
    log = server.log.read_text()
    assert "database unavailable" in log
    assert "database reachable again" in log
    assert "Traceback" not in log, log


def test_a_postgresql_restart_under_load_fails_only_requests_in_flight(
    portal_on_postgres: Server, own_postgres: pg.PostgresServer
) -> None:
    server = portal_on_postgres
    answers: list[tuple[float, int]] = []  # (when the request was sent, its status)
    stop = threading.Event()

    def load(offset: int) -> None:
        n = offset
        while not stop.is_set():
            sent = time.monotonic()
            answers.append((sent, _get(server.host, PAGES[n % len(PAGES)]).status))
            n += 1

    threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        own_postgres.restart()
        restarted = time.monotonic()
        time.sleep(2.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=PATIENCE)
    before = [status for sent, status in answers if sent < restarted]
    after = [status for sent, status in answers if sent >= restarted]
    assert set(before) <= {200, 503}, server.tail()
    assert after and set(after) == {200}, (sorted(set(after)), server.tail())
    assert "Traceback" not in server.log.read_text(), server.tail()


@pytest.mark.parametrize("damage", ["folder missing", "garbage file"])
def test_a_sqlite_database_out_of_reach_answers_503_until_it_is_back(
    damage: str, migrated_database: Path, tmp_path: Path, mailbox: Mailbox
) -> None:
    good = tmp_path / "good.sqlite3"
    shutil.copy(migrated_database, good)
    _seeded(f"sqlite:///{good}", tmp_path / "index")
    live = tmp_path / "data" / "portal.sqlite3"
    if damage == "garbage file":
        live.parent.mkdir()
        live.write_bytes(b"not a database " * 1000)
    env = portal_environment(
        f"sqlite:///{live}",
        mailbox,
        tmp_path / "mail",
        PORTAL_INDEX_DIR=str(tmp_path / "index"),
        GUNICORN_ACCESS_LOG="",  # so a failure shows the errors, not the requests
    )
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
        down = _all_pages(server.host)
        assert {(a.status, a.retry_after) for a in down} == {(503, "30")}, server.tail()
        live.parent.mkdir(exist_ok=True)
        os.replace(good, live)  # atomically, as a restore from backup would
        back = _all_pages(server.host)
        assert [a.status for a in back] == [200] * len(back), server.tail()
        assert "Traceback" not in server.log.read_text(), server.tail()
