"""Fingerprinted static URLs: `?v=<hash>` added by url_for, cached for a year when current."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from portal.settings import PROJECT_ROOT

pytestmark = pytest.mark.sqlite_only(reason="static files do not depend on the database backend")

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"


def _url(app: Flask, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_url_for_adds_the_content_fingerprint(app: Flask, client: FlaskClient) -> None:
    url = _url(app, "style.css")
    assert url == f"/static/style.css?v={_digest(PROJECT_ROOT / 'static' / 'style.css')}"
    assert f'<link rel="stylesheet" href="{url}">' in client.get("/").text


def test_a_current_fingerprint_is_cached_for_a_year(app: Flask, client: FlaskClient) -> None:
    with client.get(_url(app, "style.css")) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert "Expires" not in response.headers


@pytest.mark.parametrize("query", ["", "?v=000000000000", "?v="])
def test_no_or_a_stale_fingerprint_is_cached_briefly(client: FlaskClient, query: str) -> None:
    with client.get(f"/static/style.css{query}") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == SHORT


def test_static_files_still_answer_conditional_requests(app: Flask, client: FlaskClient) -> None:
    url = _url(app, "style.css")
    with client.get(url) as first:
        etag = first.headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
        assert again.headers["Cache-Control"] == IMMUTABLE


def test_a_new_file_gets_a_fingerprint_that_follows_its_content(app: Flask, tmp_path: Path) -> None:
    app.static_folder = str(tmp_path)
    script = tmp_path / "search.js"
    script.write_text("console.log(1);\n")
    first = _url(app, "search.js")
    assert first == f"/static/search.js?v={_digest(script)}"
    script.write_text("console.log(22);\n")
    os.utime(script, ns=(1, 1))  # a different stat, whatever the file system's clock
    second = _url(app, "search.js")
    assert second == f"/static/search.js?v={_digest(script)}" != first
    with app.test_client().get(second) as response:
        assert response.headers["Cache-Control"] == IMMUTABLE
    with app.test_client().get(first) as response:
        assert response.headers["Cache-Control"] == SHORT


@pytest.mark.parametrize("filename", ["missing.css", "../pyproject.toml", ""])
def test_a_missing_or_outside_file_gets_no_fingerprint(
    app: Flask, client: FlaskClient, filename: str
) -> None:
    url = _url(app, filename)
    assert "?v=" not in url
    if filename:
        response = client.get(url)
        assert response.status_code == 404 and "immutable" not in response.headers.get(
            "Cache-Control", ""
        )


def test_an_explicit_version_is_left_alone(app: Flask) -> None:
    with app.test_request_context():
        assert url_for("static", filename="style.css", v="mine") == "/static/style.css?v=mine"
