"""The content revision: one advance per write that changes editions or themes, none
otherwise, in order under concurrent writers, whatever the writing host's clock says, and
never again a number it gave before, even after a restore from a backup."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import event, update

from portal import revision
from portal.db import get_engine, get_session, write_transaction
from portal.models import ContentRevision, Edition
from tests.conftest import CATALOGUE_FILE, AppFactory
from tests.support.builders import edition, import_editions, link

JUNE = edition("june", "2021-06-07", (link("A June link"),))
JULY = edition("july", "2021-07-05")


def _revision(app: Flask) -> int:
    with app.app_context():
        return revision.current(get_session())


@contextmanager
def advances(app: Flask) -> Iterator[list[str]]:
    """Record the statements that advance the revision inside the block."""
    seen: list[str] = []

    def on_sql(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE content_revision"):
            seen.append(statement)

    with app.app_context():
        engine = get_engine()
    event.listen(engine, "before_cursor_execute", on_sql)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_sql)


@pytest.mark.parametrize(
    ("second_import", "steps"),
    [
        ((), 0),  # the same files again: nothing changed
        ((dataclasses.replace(JUNE, title="June, corrected"),), 1),
        ((dataclasses.replace(JUNE, title="June, corrected"), JULY), 1),  # July unchanged
        ((dataclasses.replace(JUNE, title="June, corrected"), edition("august", None)), 2),
    ],
)
def test_each_changed_edition_advances_the_revision_once(
    make_app: AppFactory, tmp_path: Path, second_import: tuple[object, ...], steps: int
) -> None:
    app = make_app()
    runner = app.test_cli_runner()
    import_editions(runner, tmp_path / "editions", JUNE, JULY)
    before = _revision(app)
    with advances(app) as seen:
        import_editions(runner, tmp_path / "editions", *second_import)  # type: ignore[arg-type]
    assert len(seen) == steps
    assert (_revision(app) > before) is (steps > 0)


def test_a_changed_theme_advances_the_revision(make_app: AppFactory, tmp_path: Path) -> None:
    catalogue = tmp_path / "themes.yaml"
    shutil.copy(CATALOGUE_FILE, catalogue)
    app = make_app(THEMES_FILE=str(catalogue))
    runner = app.test_cli_runner()
    import_editions(runner, tmp_path / "editions", JUNE)
    before = _revision(app)
    text = catalogue.read_text()
    catalogue.write_text(text.replace("      Products that other", "      Now products that other"))
    with advances(app) as seen:
        import_editions(runner, tmp_path / "editions")
    assert len(seen) == 1 and _revision(app) > before


def test_a_writer_whose_clock_is_behind_still_advances_it(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    import_editions(runner, tmp_path / "editions", JUNE, JULY)
    with app.app_context(), write_transaction() as session:  # a host a day ahead wrote these
        ahead = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        session.execute(update(Edition).values(updated_at=ahead))
    before = _revision(app)
    import_editions(runner, tmp_path / "editions", dataclasses.replace(JULY, title="Later"))
    assert _revision(app) > before


def test_concurrent_writers_each_get_their_own_number(app: Flask) -> None:
    """Writers racing on the row (on PostgreSQL, its lock) commit one number each, in order."""
    with app.app_context():
        start = revision.current(get_session())
    numbers: list[int] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(6)

    def writer() -> None:
        try:
            gate.wait()
            with app.app_context():
                for _ in range(5):
                    with write_transaction() as session:
                        numbers.append(revision.advance(session))
        except BaseException as error:  # reported below, on the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(numbers)) == 30 and min(numbers) > start
    assert _revision(app) == max(numbers)


def test_a_restored_database_never_gives_a_number_again(app: Flask) -> None:
    """A backup taken at revision N, restored after N + 1 was given out: the next write
    must not be N + 1 again, or pages and ETags made for the lost N + 1 would match it."""
    with app.app_context():
        with write_transaction() as session:
            backup = revision.advance(session)
        with write_transaction() as session:
            lost = revision.advance(session)
        with write_transaction() as session:  # the restore
            session.execute(update(ContentRevision).values(revision=backup))
        with write_transaction() as session:
            assert revision.advance(session) > lost
