"""Fixtures shared by every test: a real SQLite database per test, and no stray settings."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine

from portal import create_app, migrate
from portal.settings import PROJECT_ROOT
from tests.portal.signup_helpers import Mailbox, mail_settings

SEED = PROJECT_ROOT.parent / "shared" / "seed" / "000_e2fa213690e3313d.txt"
ARCHIVE = PROJECT_ROOT / "archive"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _no_developer_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's PORTAL_* variables out of every test."""
    import os

    for name in list(os.environ):
        if name.startswith("PORTAL_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file migrated to the newest schema once, for tests to copy."""
    path = tmp_path_factory.mktemp("template") / "portal.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


AppFactory = Callable[..., Flask]


@pytest.fixture
def make_app(tmp_path: Path, migrated_database: Path) -> Iterator[AppFactory]:
    """Return a factory of apps, each on its own freshly migrated SQLite database."""
    apps: list[Flask] = []

    def factory(**config: object) -> Flask:
        database = tmp_path / f"portal-{len(apps)}.sqlite3"
        shutil.copy(migrated_database, database)
        settings = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{database}",
            "INDEX_DIR": str(tmp_path / f"index-{len(apps)}"),
        }
        apps.append(create_app(settings | config))
        return apps[-1]

    yield factory
    for made in apps:
        engine = made.extensions.get("portal.db", {}).get("engine")
        if engine is not None:
            engine.dispose()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    """Return an app on its own freshly migrated SQLite database."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Return a runner for the app's CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def seeded(runner: FlaskCliRunner) -> FlaskCliRunner:
    """Return a runner whose database holds the bundled archive."""
    result = runner.invoke(args=["editions", "import", str(ARCHIVE)])
    assert result.exit_code == 0, result.output
    return runner


# Subscriptions: a real SMTP server, and an app that sends its mail there.


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """Return a running SMTP server on 127.0.0.1 that keeps what it receives."""
    server = Mailbox()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def signup_app(make_app: AppFactory, mailbox: Mailbox, tmp_path: Path) -> Flask:
    """Return an app that mails the test SMTP server, with no fill-time minimum or rate limit."""
    return make_app(**mail_settings(mailbox.port, tmp_path / "mail"))


@pytest.fixture
def signup_client(signup_app: Flask) -> FlaskClient:
    """Return a test client for signup_app."""
    return signup_app.test_client()
