"""A database out of reach answers 503 (a page, or JSON under /api/) with Retry-After; bugs stay 500."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import exc, text

from portal import create_app
from portal.db import OUTAGE, close_session, get_engine, get_session
from portal.settings import PROJECT_ROOT
from tests.conftest import AppFactory
from tests.support import pg

# The errors are raised by hand; which database the app has does not matter.
pytestmark = pytest.mark.sqlite_only(reason="the errors are raised by hand")


def _wrapped(error_class: type[exc.DBAPIError], orig: Exception, **kw: bool) -> exc.DBAPIError:
    return error_class("SELECT 1", None, orig, **kw)


ERRORS: list[tuple[str, Callable[[], BaseException], int]] = [
    (
        "server gone",
        lambda: _wrapped(exc.OperationalError, psycopg.OperationalError("connection refused")),
        503,
    ),
    (
        "connection closed",
        lambda: _wrapped(exc.InterfaceError, psycopg.InterfaceError("connection closed")),
        503,
    ),
    (
        "invalidated mid-query",
        lambda: _wrapped(exc.DBAPIError, Exception("terminated"), connection_invalidated=True),
        503,
    ),
    (
        "sqlite file is garbage",
        lambda: _wrapped(exc.DatabaseError, sqlite3.DatabaseError("file is not a database")),
        503,
    ),
    (
        "sqlite directory missing",
        lambda: _wrapped(exc.OperationalError, sqlite3.OperationalError("unable to open")),
        503,
    ),
    ("pool exhausted", lambda: exc.TimeoutError("QueuePool limit reached"), 503),
    ("driver error unwrapped", lambda: psycopg.OperationalError("server closed"), 503),
    (
        "constraint broken (a bug)",
        lambda: _wrapped(exc.IntegrityError, sqlite3.IntegrityError("UNIQUE failed")),
        500,
    ),
    (
        "bad SQL (a bug)",
        lambda: _wrapped(exc.ProgrammingError, psycopg.ProgrammingError("syntax error")),
        500,
    ),
    ("not the database at all", lambda: ValueError("nope"), 500),
]


@pytest.fixture(autouse=True)
def _no_outage_left_over() -> Iterator[None]:
    OUTAGE.connected()
    yield
    OUTAGE.connected()


def _failing_app(make_app: AppFactory, error: Callable[[], BaseException]) -> Flask:
    app = make_app()

    def fail() -> str:
        raise error()

    app.add_url_rule("/failing", "failing", fail)
    app.add_url_rule("/api/failing", "api_failing", fail)
    return app


@pytest.mark.parametrize(("case", "error", "status"), ERRORS, ids=[e[0] for e in ERRORS])
def test_a_page_answers_in_the_site_layout(
    make_app: AppFactory, case: str, error: Callable[[], BaseException], status: int
) -> None:
    response = _failing_app(make_app, error).test_client().get("/failing")
    assert response.status_code == status
    assert 'class="site-header"' in response.text
    assert "Traceback" not in response.text
    if status == 503:
        assert response.headers["Retry-After"] == "30"
        assert "out of reach for a moment" in response.text
    else:
        assert "Retry-After" not in response.headers


@pytest.mark.parametrize(("case", "error", "status"), ERRORS[:3], ids=[e[0] for e in ERRORS[:3]])
def test_the_api_answers_json(
    make_app: AppFactory, case: str, error: Callable[[], BaseException], status: int
) -> None:
    response = _failing_app(make_app, error).test_client().get("/api/failing")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json == {"error": response.json["error"], "status": 503}
    assert "try again" in response.json["error"]


def test_an_outage_is_logged_once_and_so_is_its_end(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = _failing_app(make_app, ERRORS[0][1]).test_client()
    with caplog.at_level(logging.INFO):
        statuses = [client.get("/failing").status_code for _ in range(20)]
        OUTAGE.connected()
    assert statuses == [503] * 20
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "database unavailable (1 request(s) answered 503): OperationalError: "
        "(psycopg.OperationalError) connection refused",
        "database reachable again after 20 failed request(s)",
    ]


def test_a_missing_sqlite_folder_answers_503_until_it_exists(
    make_app: AppFactory, migrated_database: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "not-yet"
    client = make_app(DATABASE_URL=f"sqlite:///{folder / 'portal.sqlite3'}").test_client()
    assert client.get("/editions/").status_code == 503
    folder.mkdir()
    (folder / "portal.sqlite3").write_bytes(migrated_database.read_bytes())
    assert client.get("/editions/").status_code == 200


def test_a_connection_ended_by_the_server_mid_request_still_answers(
    postgres_server: pg.PostgresServer, postgres_template: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A restart ends every connection; the request holding one then fails its final rollback.
    # That must neither escape teardown (gunicorn would answer 500) nor keep the connection.
    name = f"terminated_{time.monotonic_ns()}"
    postgres_server.execute(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": postgres_server.url(name)}
    )
    try:
        with app.app_context():
            backend_pid = get_session().scalar(text("SELECT pg_backend_pid()"))
            postgres_server.execute(f"SELECT pg_terminate_backend({backend_pid})")
            with caplog.at_level(logging.WARNING, logger="portal.db"):
                close_session()
        assert "rollback at the end of a request failed" in caplog.text
        assert get_engine(app).pool.checkedout() == 0  # type: ignore[attr-defined]
        assert app.test_client().get("/editions/").status_code == 200
    finally:
        get_engine(app).dispose()
        postgres_server.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_a_sqlite_portal_never_loads_the_postgresql_driver(
    migrated_database: Path, tmp_path: Path
) -> None:
    # In a process of its own: this one has imported psycopg for the errors above.
    (tmp_path / "p.sqlite3").write_bytes(migrated_database.read_bytes())
    code = "\n".join(
        [
            "import sys",
            "from portal import create_app",
            f"app = create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/p.sqlite3',",
            "                   'SECRET_KEY': 'x', 'INDEX_DIR': '"
            + str(tmp_path / "index")
            + "'})",
            "client = app.test_client()",
            "assert client.get('/healthz').status_code in (200, 503)",
            "assert client.get('/no-such-page').status_code == 404",
            "print('psycopg' in sys.modules)",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
