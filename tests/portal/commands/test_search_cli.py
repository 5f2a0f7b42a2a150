"""`flask index rebuild|update|check`, and imports keeping the index current."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import update

from index.storage import live_build, write_lock
from portal.db import get_session
from portal.models import Edition
from portal.search import index_folder
from tests.conftest import ARCHIVE, AppFactory


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    """An app whose search limit leaves room for a test searching in a loop from one client."""
    return make_app(SEARCH_RATE_LIMIT="1000000 per minute")


def run(runner: FlaskCliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(args=list(args))
    return result.exit_code, result.output


def folder(app: Flask) -> Path:
    with app.app_context():
        return index_folder()


def test_import_builds_the_index_and_check_agrees(seeded: FlaskCliRunner) -> None:
    assert run(seeded, "index", "check") == (0, "Search index matches the database.\n")


def test_rebuild_reports_what_it_indexed(seeded: FlaskCliRunner) -> None:
    code, output = run(seeded, "index", "rebuild")
    assert code == 0
    assert "1 editions, 8 documents" in output


def test_check_without_an_index_fails(runner: FlaskCliRunner) -> None:
    code, output = run(runner, "index", "check")
    assert code == 1
    assert "no index" in output and "flask index rebuild" in output


def test_check_finds_a_stale_edition_and_update_fixes_it(
    app: Flask, seeded: FlaskCliRunner
) -> None:
    with app.app_context():
        session = get_session()
        session.execute(update(Edition).values(content_hash="changed-behind-the-index's-back"))
        session.commit()
    code, output = run(seeded, "index", "check")
    assert code == 1 and "1 editions out of date" in output
    assert run(seeded, "index", "update") == (
        0,
        "Search index: 1 editions re-indexed, 0 removed.\n",
    )
    assert run(seeded, "index", "check")[0] == 0
    assert run(seeded, "index", "update") == (
        0,
        "Search index: 0 editions re-indexed, 0 removed.\n",
    )


def test_check_finds_an_old_schema(app: Flask, seeded: FlaskCliRunner) -> None:
    (live_build(folder(app)) / "meta.json").write_text(json.dumps({"schema_version": 0}))
    code, output = run(seeded, "index", "check")
    assert code == 1 and "schema version 0" in output


def test_an_imported_edition_is_searchable_at_once(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner, tmp_path: Path
) -> None:
    assert client.get("/api/search?q=zeppelin").json["total"] == 0  # type: ignore[index]
    text = (ARCHIVE / "will-platforms-conquer-the-world.md").read_text()
    text = text.replace("slug: will-platforms-conquer-the-world", "slug: zeppelins").replace(
        "How AWS came to be", "Zeppelins and platforms"
    )
    (tmp_path / "zeppelins.md").write_text(text)
    assert run(seeded, "editions", "import", str(tmp_path / "zeppelins.md"))[0] == 0
    hits = client.get("/api/search?q=zeppelin").json["hits"]  # type: ignore[index]
    assert [hit["url"] for hit in hits] == ["/editions/zeppelins?hl=zeppelin#link-1"]


def test_rebuild_while_searching_never_fails_a_search(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    statuses: list[tuple[int, int]] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            response = client.get(
                f"/api/search?q=platforms&page=1&sort={'newest' if len(statuses) % 2 else 'relevance'}"
            )
            statuses.append(
                (
                    response.status_code,
                    response.json["total"] if response.status_code == 200 else -1,
                )
            )  # type: ignore[index]

    reader = threading.Thread(target=search)
    reader.start()
    try:
        for _ in range(3):
            assert run(seeded, "index", "rebuild")[0] == 0
    finally:
        stop.set()
        reader.join()
    assert len(statuses) > 3
    assert set(statuses) == {(200, statuses[0][1])}


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # Whoosh leaks a handle on a damaged TOC
def test_rebuild_heals_a_damaged_index(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    for path in live_build(folder(app)).glob("*.toc"):
        path.write_bytes(b"damaged")
    assert client.get("/search?q=platforms").status_code == 503
    assert client.get("/editions/will-platforms-conquer-the-world").status_code == 200
    assert run(seeded, "index", "rebuild")[0] == 0
    assert client.get("/search?q=platforms").status_code == 200


def test_a_missing_index_folder_is_rebuilt_by_update(app: Flask, seeded: FlaskCliRunner) -> None:
    shutil.rmtree(folder(app))
    assert run(seeded, "index", "update") == (
        0,
        "Search index: 1 editions re-indexed, 0 removed.\n",
    )
    assert run(seeded, "index", "check")[0] == 0


def test_a_busy_index_gives_a_clear_message(
    app: Flask, seeded: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.storage.WRITER_TIMEOUT_S", 0.1)
    with write_lock(folder(app)):
        code, output = run(seeded, "index", "update")
        assert code == 1 and "another process is writing the index" in output
        code, output = run(seeded, "index", "rebuild")
        assert code == 1 and "another process is writing the index" in output


def test_update_rebuilds_an_index_of_another_schema(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    (live_build(folder(app)) / "meta.json").write_text(json.dumps({"schema_version": 1}))
    assert client.get("/search?q=platforms").status_code == 503
    assert run(seeded, "index", "update") == (
        0,
        "Search index: 1 editions re-indexed, 0 removed.\n",
    )
    assert run(seeded, "index", "check")[0] == 0
    assert client.get("/search?q=platforms").status_code == 200
