"""The database engine (one per process, created lazily) and a session per app context."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import ServiceUnavailable

from portal.logs import private_logger
from portal.migrations.status import SchemaStatus, schema_status

log = private_logger(__name__)

_EXTENSION = "portal.db"
_SCHEMA_EXTENSION = "portal.schema"
# Execution option marking a transaction that will write: on SQLite it begins IMMEDIATE.
_WRITE_OPTION = "portal_write"
# Write transactions committed by this process: what it caches from the database is
# rechecked after its own writes at once (portal/caching.py).
_writes = 0


def writes_committed() -> int:
    """Return how many write transactions this process has committed."""
    return _writes


# A server that drops packets (rather than refusing) would otherwise hold a request for
# the operating system's TCP timeout, minutes; `?connect_timeout=N` in the URL overrides it.
CONNECT_TIMEOUT_SECONDS = 5


def driver_connection_errors() -> tuple[type[Exception], ...]:
    """Return the PostgreSQL driver's own connection errors, raised when a failure escapes
    SQLAlchemy's wrapping. The driver is imported only by an engine on PostgreSQL (a SQLite
    worker is 6 MB smaller without it), and without it none of its errors can be raised."""
    psycopg = sys.modules.get("psycopg")
    if psycopg is None:
        return ()
    return (psycopg.OperationalError, psycopg.InterfaceError)


def get_engine(app: Flask | None = None) -> Engine:
    """Return the app's engine, creating it on first use (so never before a fork)."""
    app = app or current_app
    state: dict[str, Any] = app.extensions.setdefault(_EXTENSION, {})
    if "engine" not in state:
        state["engine"] = _create_engine(app.config["DATABASE_URL"], app.config)
        state["sessionmaker"] = sessionmaker(state["engine"], expire_on_commit=False)
    engine: Engine = state["engine"]
    return engine


def get_session() -> Session:
    """Return this app context's session, opening it on first use."""
    if "db_session" not in g:
        get_engine()
        g.db_session = current_app.extensions[_EXTENSION]["sessionmaker"]()
    session: Session = g.db_session
    return session


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Yield the session inside a fresh transaction that holds the write lock; commit at the end."""
    session = get_session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("commit or roll back pending changes before a write transaction")
    if session.in_transaction():
        # A read transaction cannot safely become a write one on SQLite (SQLITE_BUSY_SNAPSHOT).
        session.rollback()
    session.connection(execution_options={_WRITE_OPTION: True})
    global _writes
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    _writes += 1


def close_session(_exc: BaseException | None = None) -> None:
    """Close the app context's session; anything uncommitted is rolled back."""
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except exc.DBAPIError as error:
        if not database_unavailable(error):
            raise
        # Closing rolls back, and the server may have ended the connection meanwhile (a
        # restart): the pool has discarded that connection and the response is made, so
        # a failure here must not turn it into a 500.
        log.warning("rollback at the end of a request failed: %s", first_line(error))
        session.invalidate()


def database_unavailable(error: BaseException) -> bool:
    """Return whether an error means the database is out of reach, rather than a bug."""
    if isinstance(error, (exc.TimeoutError, *driver_connection_errors())):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, exc.OperationalError | exc.InterfaceError):
        return True
    # SQLite reports a file that is not (or no longer) a database as a plain DatabaseError.
    return type(error.orig) is sqlite3.DatabaseError


def init_app(app: Flask) -> None:
    """Check the schema before requests; close the session after every request and CLI command."""
    app.extensions[_SCHEMA_EXTENSION] = SchemaWatch()
    app.before_request(refuse_requests_until_schema)
    app.teardown_appcontext(close_session)


def read_schema_status() -> SchemaStatus:
    """Return whether the database's schema is the code's (raise SQLAlchemyError when unreachable)."""
    with get_engine().connect() as connection:
        return schema_status(connection)


def refuse_requests_until_schema() -> None:
    """Answer 503 while the database's schema is missing or behind the code's migrations.

    Asked before each request until the schema is found usable, then never again in this
    process: the code cannot change under a running worker, and `flask db upgrade` needs no
    restart to be seen. A database out of reach is left to the request's own handling.
    """
    watch: SchemaWatch = current_app.extensions[_SCHEMA_EXTENSION]
    if watch.ready:
        return
    try:
        status = read_schema_status()
    except exc.SQLAlchemyError as error:
        if database_unavailable(error):
            return
        raise
    watch.found(status)
    if not status.usable:
        raise ServiceUnavailable()


class Outage:
    """Per-process record of the database being out of reach, so an outage is not logged per request."""

    # While the outage lasts, one reminder a minute says it still does.
    REMIND_AFTER_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.failures = 0
        self._logged_at: float | None = None

    def failed(self, error: BaseException) -> None:
        """Count a request the database failed; log the first of an outage, then once a minute."""
        now = time.monotonic()
        with self._lock:
            self.failures += 1
            failures = self.failures
            if self._logged_at is not None and now - self._logged_at < self.REMIND_AFTER_SECONDS:
                return
            self._logged_at = now
        log.error(
            "database unavailable (%d request(s) answered 503): %s", failures, first_line(error)
        )

    def connected(self) -> None:
        """Note a new working database connection: the end of an outage, if there was one."""
        with self._lock:
            failures, self.failures, self._logged_at = self.failures, 0, None
        if failures:
            log.warning("database reachable again after %d failed request(s)", failures)


OUTAGE = Outage()


class SchemaWatch:
    """Per-app record of the schema check: done once it passes, logged once a minute until then."""

    def __init__(self) -> None:
        self.ready = False
        self._refused = 0
        self._logged_at: float | None = None

    def found(self, status: SchemaStatus) -> None:
        """Note one check's answer, logging a schema the code cannot use (or does not know)."""
        if status.usable:
            self.ready = True
            if status.message:
                log.warning("%s", status.message)
            elif self._refused:
                log.warning("database schema up to date after %d request(s) refused", self._refused)
            return
        self._refused += 1
        now = time.monotonic()
        if self._logged_at is None or now - self._logged_at >= Outage.REMIND_AFTER_SECONDS:
            self._logged_at = now
            log.error("%s (%d request(s) answered 503)", status.message, self._refused)


def first_line(error: BaseException) -> str:
    """Return an error's type and the first line of its message, for one-line reports."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _create_private_database_file(database: str | None) -> None:
    """Create a missing SQLite file readable by its owner only; SQLite would make it 0644."""
    # SQLite gives the -wal and -shm files the database file's mode, so they are private too.
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir() and not path.exists():
        with contextlib.suppress(FileExistsError):  # another process created it meanwhile
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _create_engine(url: str, config: dict[str, Any]) -> Engine:
    # hide_parameters: a failed statement's error (and so any log line quoting it) shows
    # the SQL but not its values, which include subscribers' addresses.
    engine = _create_sqlite_engine(url, config) if url.startswith("sqlite") else _server_engine(url)
    # Registered last, so it runs only once the connection is configured and usable.
    event.listen(engine, "connect", lambda _dbapi, _record: OUTAGE.connected())
    return engine


def _server_engine(url: str) -> Engine:
    """Return an engine for a database server that survives the server's restarts."""
    connect_args: dict[str, Any] = {}
    if make_url(url).get_backend_name() == "postgresql" and "connect_timeout" not in url:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    # pre_ping tests a pooled connection before lending it out (one round trip); after a
    # restart it finds the dead ones and reconnects, so no request fails on a stale one.
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, hide_parameters=True)


def _create_sqlite_engine(url: str, config: dict[str, Any]) -> Engine:
    _create_private_database_file(make_url(url).database)
    engine = create_engine(url, hide_parameters=True)
    busy_timeout = int(config["SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # pysqlite's own BEGIN comes late and is always DEFERRED; switch it off and emit
        # BEGIN in `_begin` instead (the SQLAlchemy pysqlite "Serializable isolation" recipe).
        dbapi_connection.isolation_level = None
        # WAL lets readers go on while one writer commits; the busy timeout makes a
        # second writer wait instead of failing with "database is locked".
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")  # first: switching to WAL may wait
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A writer takes the lock up front, so it waits on busy_timeout at BEGIN rather than
        # failing when a deferred read transaction tries to upgrade after another commit.
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
