"""Write transactions on SQLite take the lock at BEGIN, commit once, and roll back on failure."""

from __future__ import annotations

import sqlite3

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.db import get_session, write_transaction
from portal.models import Theme

# BEGIN IMMEDIATE and SQLite's file lock are what is under test; PostgreSQL has neither.
pytestmark = pytest.mark.sqlite_only(reason="tests SQLite's write lock")


def _database_file(app: Flask) -> str:
    return str(app.config["DATABASE_URL"]).removeprefix("sqlite:///")


def _can_take_write_lock(app: Flask) -> bool:
    other = sqlite3.connect(_database_file(app), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        other.close()


def _themes() -> int:
    return get_session().scalar(select(func.count()).select_from(Theme)) or 0


def test_a_write_transaction_holds_the_lock_before_its_first_statement(app: Flask) -> None:
    with app.app_context():
        with write_transaction():
            assert not _can_take_write_lock(app)
        assert _can_take_write_lock(app)


def test_a_read_does_not_take_the_write_lock(app: Flask) -> None:
    with app.app_context():
        assert _themes() == 0
        assert get_session().in_transaction()
        assert _can_take_write_lock(app)


def test_a_write_transaction_commits_and_a_failed_one_rolls_back(app: Flask) -> None:
    with app.app_context():
        with write_transaction() as session:
            session.add(Theme(slug="kept", name="Kept"))
        with pytest.raises(RuntimeError, match="boom"), write_transaction() as session:
            session.add(Theme(slug="lost", name="Lost"))
            session.flush()
            raise RuntimeError("boom")
        assert get_session().scalars(select(Theme.slug)).all() == ["kept"]
        assert _can_take_write_lock(app)


def test_a_write_transaction_after_a_read_starts_afresh(app: Flask) -> None:
    with app.app_context():
        assert _themes() == 0
        with write_transaction() as session:
            assert not _can_take_write_lock(app)
            session.add(Theme(slug="t", name="T"))
        assert _themes() == 1


def test_pending_changes_are_never_silently_discarded(app: Flask) -> None:
    with app.app_context():
        get_session().add(Theme(slug="pending", name="Pending"))
        with pytest.raises(RuntimeError, match="pending changes"), write_transaction():
            pass
