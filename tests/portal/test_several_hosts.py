"""Two app hosts on one PostgreSQL, each with its own index: an import through one is found
by the other's search within seconds, with no `flask index update` run on it."""

from __future__ import annotations

import http.client
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

from portal import create_app
from tests.conftest import ARCHIVE
from tests.support import pg
from tests.support.builders import edition, link, write
from tests.support.serving import PATIENCE, gunicorn, portal_environment
from tests.support.signup_helpers import Mailbox

DEADLINE = 10.0  # seconds the other host may take to find a new edition
_numbers = itertools.count()


@pytest.fixture
def shared_database(postgres_server: pg.PostgresServer, postgres_template: str) -> Iterator[str]:
    """Return the URL of a migrated PostgreSQL database of this test's own."""
    name = f"hosts_{next(_numbers)}"
    postgres_server.execute(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    yield postgres_server.url(name)
    postgres_server.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _host(database: str, index_dir: Path) -> Flask:
    return create_app(
        {"DATABASE_URL": database, "SECRET_KEY": "serving-test", "INDEX_DIR": str(index_dir)}
    )


def _run(app: Flask, *args: str) -> None:
    """Run one `flask` command with the host's settings, as its operator would."""
    try:
        result = app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
    finally:
        engine = app.extensions.get("portal.db", {}).get("engine")
        if engine is not None:
            engine.dispose()


def _get(host: str, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(host, timeout=PATIENCE)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _finds(host: str, words: str, title: str) -> bool:
    status, page = _get(host, f"/search?q={quote(words)}")
    assert status == 200, page
    return f">{title}</a></h2>" in page


def _health(host: str) -> dict[str, Any]:
    status, body = _get(host, "/healthz")
    assert status == 200, body
    found: dict[str, Any] = json.loads(body)
    return found


def test_an_import_through_one_host_is_found_by_the_others_search(
    shared_database: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    index_a, index_b = tmp_path / "index-a", tmp_path / "index-b"
    _run(_host(shared_database, index_a), "editions", "import", str(ARCHIVE))
    _run(_host(shared_database, index_b), "index", "update")  # each host builds its own
    fresh = edition("zanzibar", "2022-01-03", (link("A quixotic zeppelin over the archive"),))
    environment = portal_environment(shared_database, mailbox, tmp_path / "mail")
    with (
        gunicorn(environment | {"PORTAL_INDEX_DIR": str(index_a)}, tmp_path / "a.log", 2) as a,
        gunicorn(environment | {"PORTAL_INDEX_DIR": str(index_b)}, tmp_path / "b.log", 2) as b,
    ):
        assert _finds(b.host, "platforms", "Will platforms conquer the world?")
        assert not _finds(b.host, "zeppelin", fresh.title)
        _run(
            _host(shared_database, index_a),
            "editions",
            "import",
            str(write(tmp_path / "new", fresh)),
        )
        assert _finds(a.host, "zeppelin", fresh.title)  # the importing host updated its own
        deadline = time.monotonic() + DEADLINE
        while not _finds(b.host, "zeppelin", fresh.title):
            assert time.monotonic() < deadline, f"host B never found it:\n{b.tail()}"
            time.sleep(0.2)
        health = _health(b.host)
        assert health["status"] == "ok"
        assert health["index"]["revision"] == health["database"]["revision"]
    assert "Traceback" not in a.tail() + b.tail()
