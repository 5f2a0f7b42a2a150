"""The instance folder, the SQLite database and the development secret key are private from
the start: created with owner-only modes, never widened by a permissive umask, never chmodded."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from portal import create_app
from portal.db import get_session
from tests.conftest import close_app


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Let every new file be world-readable and writable unless its creator says otherwise."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def new_app() -> Iterator[Callable[..., Flask]]:
    """Return create_app, closing every app it made (its SQLite connections) after the test."""
    made: list[Flask] = []

    def factory(config: dict[str, object] | None = None) -> Flask:
        made.append(create_app(config))
        return made[-1]

    yield factory
    for app in made:
        close_app(app)


def no_chmod(*args: object, **kwargs: object) -> None:
    """Stand in for chmod: a file must be private from its creation, not fixed afterwards."""
    raise AssertionError(f"chmod{args}: the file was created with a wider mode first")


def mode(path: Path) -> int:
    """Return the permission bits of a path."""
    return path.stat().st_mode & 0o777


@pytest.mark.usefixtures("permissive_umask")
def test_instance_database_and_secret_key_are_private_from_the_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, new_app: Callable[..., Flask]
) -> None:
    monkeypatch.setattr("portal.settings.PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    app = new_app()
    with app.app_context():
        get_session().execute(text("CREATE TABLE probe (id INTEGER)"))
        get_session().commit()
    instance = tmp_path / "instance"
    files = {name: mode(instance / name) for name in ("portal.sqlite3", "secret_key")}
    files |= {path.name: mode(path) for path in instance.glob("portal.sqlite3-*")}
    assert mode(instance) == 0o700
    assert "portal.sqlite3-wal" in files and set(files.values()) == {0o600}, files
    assert [path.name for path in instance.glob(".secret_key*")] == []  # no draft left over
    assert new_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


@pytest.mark.usefixtures("permissive_umask")
def test_a_database_file_named_by_url_is_created_private(
    tmp_path: Path, new_app: Callable[..., Flask]
) -> None:
    database = tmp_path / "elsewhere.sqlite3"
    app = new_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{database}"})
    with app.app_context():
        get_session().execute(text("SELECT 1"))
    assert mode(database) == 0o600


@pytest.mark.usefixtures("permissive_umask")
@pytest.mark.parametrize(
    ("settings", "made"),
    [
        ({}, True),  # the index goes to instance/index
        ({"INDEX_DIR": "elsewhere"}, True),  # mail goes to instance/mail
        ({"INDEX_DIR": "elsewhere", "SMTP_HOST": "smtp.example.org"}, False),
        ({"INDEX_DIR": "elsewhere", "MAIL_DIR": "elsewhere"}, False),
    ],
)
def test_the_instance_folder_is_made_private_when_anything_goes_there(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    new_app: Callable[..., Flask],
    settings: dict[str, str],
    made: bool,
) -> None:
    monkeypatch.setattr("portal.settings.PROJECT_ROOT", tmp_path)
    new_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"} | settings)
    instance = tmp_path / "instance"
    assert instance.exists() == made
    assert not made or mode(instance) == 0o700
