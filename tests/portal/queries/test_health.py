"""/healthz: healthy, index missing, corrupt, of another schema or stale, database unreachable."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

import index
from portal import create_app
from portal.editions.catalogue import load_catalogue
from portal.importing.run import validate_files, write_editions
from portal.search import index_folder
from tests.conftest import ARCHIVE, CATALOGUE_FILE
from tests.support.builders import edition, write
from tests.support.signup_helpers import free_port


def _health(client: FlaskClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers and "ETag" not in response.headers
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.json  # type: ignore[assignment]
    return response.status_code, body


def _live_build(app: Flask) -> Path:
    with app.app_context():
        folder = index_folder()
    return folder / (folder / "current").read_text().strip()


def test_a_healthy_host_answers_ok(client: FlaskClient, seeded: FlaskCliRunner) -> None:
    status, body = _health(client)
    assert status == 200 and body["status"] == "ok"
    database, search = body["database"], body["index"]
    assert database["ok"] is True and database["editions"] == 1
    assert database["latest_change"].endswith("Z")
    assert search["ok"] is True and search["present"] is True and search["readable"] is True
    assert search["schema_version"] == search["expected_schema_version"] == index.SCHEMA_VERSION
    assert search["documents"] > 1 and search["stale"] is False
    assert search["revision"] == database["revision"] >= 1


def test_an_empty_archive_with_its_index_is_healthy(client: FlaskClient) -> None:
    client.application.test_cli_runner().invoke(args=["index", "rebuild"])
    status, body = _health(client)
    assert status == 200 and body["status"] == "ok"
    assert body["database"]["latest_change"] is None and body["index"]["documents"] == 0


def test_without_an_index_the_host_is_unavailable(client: FlaskClient) -> None:
    status, body = _health(client)
    assert status == 503 and body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["index"] == {
        "ok": False,
        "present": False,
        "readable": False,
        "expected_schema_version": index.SCHEMA_VERSION,
    }


def test_a_deleted_index_makes_the_host_unavailable(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    shutil.rmtree(_live_build(app).parent)
    status, body = _health(client)
    assert status == 503 and body["index"]["present"] is False


def test_a_pointer_to_a_missing_build_is_unreadable(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    shutil.rmtree(_live_build(app))
    status, body = _health(client)
    assert status == 503
    assert body["index"]["present"] is True and body["index"]["readable"] is False


# Whoosh leaves the damaged table of contents open when it fails to read it (its problem,
# not a leak of ours): ignore that one warning, and collect the file within this test.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_corrupt_index_makes_the_host_unavailable(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    for path in _live_build(app).iterdir():
        if path.name != "meta.json" and path.is_file():
            path.write_bytes(b"\x00garbage" * 10)
    status, body = _health(client)
    gc.collect()
    assert status == 503 and body["status"] == "unavailable"
    assert body["index"]["present"] is True and body["index"]["readable"] is False


def test_an_index_of_another_schema_makes_the_host_unavailable(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    (_live_build(app) / "meta.json").write_text(json.dumps({"schema_version": 0}))
    status, body = _health(client)
    assert status == 503 and body["index"]["readable"] is True
    assert body["index"]["schema_version"] == 0 and body["index"]["ok"] is False


def test_an_import_without_an_index_update_is_reported_stale(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner, tmp_path: Path
) -> None:
    # This host looks whether its index is behind once, now, while it is current: its
    # background catch-up must not bring the index up to date before /healthz is asked.
    app.config["CONTENT_CHECK_SECONDS"] = 3600
    assert _health(client)[1]["status"] == "ok"
    files = sorted(write(tmp_path / "new", edition("fresh", "2022-01-03")).iterdir())
    with app.app_context():  # the importer's own steps, leaving out its index update
        catalogue = load_catalogue(Path(app.config["THEMES_FILE"]))
        good, report = validate_files(files, {t.slug for t in catalogue}, None, lambda _n: None)
        write_editions(good, catalogue, report)
    assert report.added == 1
    status, body = _health(client)
    assert status == 200 and body["status"] == "stale"
    assert body["index"]["stale"] is True and body["database"]["editions"] == 2
    assert body["index"]["revision"] < body["database"]["revision"]
    assert seeded.invoke(args=["index", "update"]).exit_code == 0
    status, body = _health(client)
    assert status == 200 and body["status"] == "ok" and body["index"]["stale"] is False


def test_health_is_never_rate_limited(make_app: Any, tmp_path: Path) -> None:
    app = make_app(SIGNUP_RATE_LIMIT="1 per hour")
    client = app.test_client()
    assert {client.get("/healthz").status_code for _ in range(5)} == {503}  # no index: 503


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-folder/portal.sqlite3",
        "postgresql+psycopg://portal@127.0.0.1:{port}/portal",
    ],
    ids=["sqlite-file-cannot-be-opened", "postgresql-port-closed"],
)
def test_an_unreachable_database_makes_the_host_unavailable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, url: str
) -> None:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url.format(port=free_port()),
        "INDEX_DIR": str(tmp_path / "index"),
    }
    app = create_app(config)
    status, body = _health(app.test_client())
    assert status == 503 and body["status"] == "unavailable"
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert "the database does not answer" in caplog.text
    assert "nonexistent-folder" not in json.dumps(body) and "127.0.0.1" not in json.dumps(body)


def test_a_theme_only_import_leaves_the_host_healthy(make_app: Any, tmp_path: Path) -> None:
    """A changed theme description moves the content revision; the import records it in
    the index too, so the host is not reported stale."""
    catalogue = tmp_path / "themes.yaml"
    shutil.copy(CATALOGUE_FILE, catalogue)
    app = make_app(THEMES_FILE=str(catalogue))
    runner, client = app.test_cli_runner(), app.test_client()
    assert runner.invoke(args=["editions", "import", str(ARCHIVE)]).exit_code == 0
    text = catalogue.read_text()
    catalogue.write_text(text.replace("      Products that other", "      Now products that other"))
    result = runner.invoke(args=["editions", "import", str(ARCHIVE)])
    assert result.exit_code == 0 and "0 added, 0 updated" in result.output
    status, body = _health(client)
    assert status == 200 and body["status"] == "ok"
    assert body["index"]["revision"] == body["database"]["revision"]
