"""The database engine (one per process, created lazily) and a session per app context."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_EXTENSION = "portal.db"


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
        # WAL lets readers go on while one writer commits; the busy timeout makes a
        # second writer wait instead of failing with "database is locked".
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine
