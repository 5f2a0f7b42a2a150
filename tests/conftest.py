"""Fixtures shared by every test: a real database per test on SQLite and PostgreSQL, no stray settings."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine

from portal import create_app
from portal.migrations import migrate
from portal.search import catch_up
from portal.settings import PROJECT_ROOT
from tests.support import pg
from tests.support.signup_helpers import Mailbox, mail_settings

# CI clones the repo with ../shared beside it; a worktree may sit one folder deeper.
SHARED = next(
    (p / "shared" for p in PROJECT_ROOT.parents if (p / "shared" / "ingest").is_dir()),
    PROJECT_ROOT.parent / "shared",
)
SEED = SHARED / "seed" / "000_e2fa213690e3313d.txt"
FIXTURES = Path(__file__).parent / "fixtures"
# The seed edition as the portal first held it (undated, no addresses): tests build on it;
# the bundled archive/ is what `make run` imports and may grow.
ARCHIVE = FIXTURES / "archive"
CATALOGUE_FILE = PROJECT_ROOT / "archive" / "themes.yaml"
POSTGRES_TEMPLATE = "portal_template"
_database_numbers = itertools.count()


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
DatabaseFactory = Callable[..., str]
BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that needs a database once per backend, unless it is marked sqlite_only."""
    if "backend" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        backends = BACKENDS[:1] if only_sqlite else BACKENDS
        params = [pytest.param(name, marks=_backend_marks(name)) for name in backends]
        metafunc.parametrize("backend", params, indirect=True)


def _backend_marks(name: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.postgresql] if name == "postgresql" else []


# Fixtures that start a PostgreSQL server: a test using one is marked `postgresql` too.
POSTGRES_FIXTURES = frozenset({"postgres_server", "postgres_template", "own_postgres"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a PostgreSQL server, so `-m "not postgresql"` runs without one."""
    for item in items:
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Return the database backend this test runs on: sqlite or postgresql."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pg.PostgresServer]:
    """Return a real PostgreSQL server for the session, stopped by its PID at the end."""
    server = pg.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: pg.PostgresServer) -> str:
    """Return the name of a PostgreSQL database migrated once, for tests to copy."""
    postgres_server.execute(f"CREATE DATABASE {POSTGRES_TEMPLATE}")
    engine = create_engine(postgres_server.url(POSTGRES_TEMPLATE))
    migrate.upgrade(engine)
    engine.dispose()
    return POSTGRES_TEMPLATE


@pytest.fixture
def make_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[DatabaseFactory]:
    """Return a factory of database URLs on this test's backend, migrated unless told not to."""
    dropped: list[str] = []

    def factory(migrated: bool = True) -> str:
        number = next(_database_numbers)
        if backend == "sqlite":
            database = tmp_path / f"portal-{number}.sqlite3"
            if migrated:
                shutil.copy(request.getfixturevalue("migrated_database"), database)
            return f"sqlite:///{database}"
        # Asked for lazily, so a run with no PostgreSQL test never starts the server.
        server: pg.PostgresServer = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("postgres_template") if migrated else "template0"
        name = f"test_{number}"
        server.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        dropped.append(name)
        return server.url(name)

    yield factory
    for name in dropped:
        # FORCE ends any connection a test left open, so the drop never waits on it.
        request.getfixturevalue("postgres_server").execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def make_app(tmp_path: Path, make_database: DatabaseFactory) -> Iterator[AppFactory]:
    """Return a factory of apps, each on its own freshly migrated database."""
    apps: list[Flask] = []

    def factory(**config: object) -> Flask:
        settings = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": make_database(),
            "INDEX_DIR": str(tmp_path / f"index-{len(apps)}"),
        }
        apps.append(create_app(settings | config))
        return apps[-1]

    yield factory
    for made in apps:
        close_app(made)


def close_app(app: Flask) -> None:
    """Close what an app opened: its index catch-up thread, then its database connections."""
    # A catch-up thread still reading would put its connection back into a disposed pool.
    catch_up.wait(app)
    engine = app.extensions.get("portal.db", {}).get("engine")
    if engine is not None:
        engine.dispose()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    """Return an app on its own freshly migrated database."""
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
