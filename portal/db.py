"""The database engine (one per process, created lazily) and a session per app context."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_EXTENSION = "portal.db"
# Execution option marking a transaction that will write: on SQLite it begins IMMEDIATE.
_WRITE_OPTION = "portal_write"


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
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def close_session(_exc: BaseException | None = None) -> None:
    """Close the app context's session; anything uncommitted is rolled back."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    """Close the session at the end of every request and CLI command."""
    app.teardown_appcontext(close_session)


def _create_engine(url: str, config: dict[str, Any]) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url)
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
