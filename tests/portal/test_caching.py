"""ETag, Last-Modified and Cache-Control on pages made from the archive; 304s without rendering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, event, update
from sqlalchemy.orm import Session

from portal import revision
from portal.db import get_engine, write_transaction
from portal.models import Edition
from tests.conftest import ARCHIVE, CATALOGUE_FILE, AppFactory
from tests.support.builders import edition, import_editions, link
from tests.support.signup_helpers import hidden_fields

PLATFORMS = "/editions/will-platforms-conquer-the-world"
CACHEABLE = [
    "/",
    "/editions/",
    "/editions/2021/",
    "/editions/2021/06/",
    PLATFORMS,
    "/themes/",
    "/themes/platforms",
    "/sources/",
    "/sources/wired",
    "/feed.xml",
    "/feed.json",
    "/themes/platforms/feed.xml",
    "/themes/platforms/feed.json",
    "/sitemap.xml",
]


@pytest.fixture
def site(seeded: FlaskCliRunner, tmp_path: Path, client: FlaskClient) -> FlaskClient:
    """Return a client over the archive plus one edition of June 2021."""
    june = edition("june", "2021-06-07", (link("A June link", themes=("platforms",)),))
    import_editions(seeded, tmp_path / "june", june)
    return client


@contextmanager
def work_done(app: Flask) -> Iterator[dict[str, list[Any]]]:
    """Record the SQL statements run and the templates rendered inside the block."""
    seen: dict[str, list[Any]] = {"sql": [], "templates": []}

    def on_sql(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN (portal.db)
            seen["sql"].append(statement)

    def on_render(_app: Flask, template: Any, **_: object) -> None:
        seen["templates"].append(template.name)

    with app.app_context():
        engine = get_engine()
    event.listen(engine, "before_cursor_execute", on_sql)
    template_rendered.connect(on_render, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(on_render, app)
        event.remove(engine, "before_cursor_execute", on_sql)


@pytest.mark.parametrize("path", CACHEABLE)
def test_archive_pages_carry_validators_and_no_cookie(site: FlaskClient, path: str) -> None:
    response = site.get(path)
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('"') and response.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


@pytest.mark.parametrize("path", CACHEABLE)
def test_a_matching_etag_is_answered_304_without_rendering(
    app: Flask, site: FlaskClient, path: str
) -> None:
    etag = site.get(path).headers["ETag"]
    with work_done(app) as seen:
        response = site.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert seen["templates"] == [] and len(seen["sql"]) <= 1  # the content version at most


GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.mark.parametrize("path", CACHEABLE)
def test_a_client_accepting_gzip_gets_the_same_page_gzipped(site: FlaskClient, path: str) -> None:
    first = site.get(path, headers=GZIP)  # rendered now, or kept already
    plain = site.get(path)
    kept = site.get(path, headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    for packed in (first, kept):
        assert packed.status_code == 200
        assert packed.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.data) == plain.data
        assert packed.content_type == plain.content_type
        assert packed.headers["ETag"] == kept.headers["ETag"] != plain.headers["ETag"]
        assert packed.headers["Cache-Control"] == plain.headers["Cache-Control"]
    for response in (first, plain, kept):
        assert response.headers["Vary"] == "Accept-Encoding"


def test_the_gzipped_page_has_its_own_304(site: FlaskClient) -> None:
    etag = site.get(PLATFORMS, headers=GZIP).headers["ETag"]
    again = site.get(PLATFORMS, headers=GZIP | {"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Vary"] == "Accept-Encoding"
    # A client that takes the page plain holds another representation: it gets the page.
    plain = site.get(PLATFORMS, headers={"If-None-Match": etag})
    assert plain.status_code == 200 and "Will platforms" in plain.text


@pytest.mark.parametrize("refusal", ["gzip;q=0, identity", "br", "identity"])
def test_a_client_refusing_gzip_gets_the_page_plain(site: FlaskClient, refusal: str) -> None:
    site.get(PLATFORMS, headers=GZIP)
    response = site.get(PLATFORMS, headers={"Accept-Encoding": refusal})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert "Will platforms" in response.text


def test_if_modified_since_is_answered_304(site: FlaskClient) -> None:
    last_modified = site.get(PLATFORMS).headers["Last-Modified"]
    response = site.get(PLATFORMS, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304
    older = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert site.get(PLATFORMS, headers={"If-Modified-Since": older}).status_code == 200


def test_another_etag_gets_the_page(site: FlaskClient) -> None:
    response = site.get(PLATFORMS, headers={"If-None-Match": '"something-else"'})
    assert response.status_code == 200 and "Will platforms" in response.text


def test_each_page_has_its_own_etag(site: FlaskClient) -> None:
    etags = {site.get(path).headers["ETag"] for path in CACHEABLE}
    assert len(etags) == len(CACHEABLE)


def test_an_import_changes_the_validators(
    site: FlaskClient, seeded: FlaskCliRunner, tmp_path: Path
) -> None:
    before = {path: site.get(path).headers["ETag"] for path in ("/", PLATFORMS, "/feed.xml")}
    july = edition("july", "2021-07-05")
    import_editions(seeded, tmp_path / "july", july)
    for path, etag in before.items():
        response = site.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 200, path
        assert response.headers["ETag"] != etag


def test_an_import_by_a_host_whose_clock_is_behind_changes_the_page(
    app: Flask, site: FlaskClient, seeded: FlaskCliRunner, tmp_path: Path
) -> None:
    """The last writer's clock was a day ahead; this import's `updated_at` is older than
    every other edition's, and the counts stay the same: only the revision moves."""
    with app.app_context(), write_transaction() as session:
        ahead = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        session.execute(update(Edition).values(updated_at=ahead))
    before = site.get("/editions/june")
    assert before.status_code == 200 and "June, corrected" not in before.text
    june = edition("june", "2021-06-07", (link("A June link", themes=("platforms",)),))
    import_editions(seeded, tmp_path / "june", dataclasses.replace(june, title="June, corrected"))
    after = site.get("/editions/june", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and "June, corrected" in after.text
    assert after.headers["ETag"] != before.headers["ETag"]


def test_an_unchanged_import_keeps_the_validators(
    site: FlaskClient, seeded: FlaskCliRunner
) -> None:
    etag = site.get(PLATFORMS).headers["ETag"]
    assert seeded.invoke(args=["editions", "import", str(ARCHIVE)]).exit_code == 0
    assert site.get(PLATFORMS, headers={"If-None-Match": etag}).status_code == 304


def test_a_changed_theme_description_changes_the_validators(
    make_app: AppFactory, tmp_path: Path
) -> None:
    catalogue = tmp_path / "themes.yaml"
    shutil.copy(CATALOGUE_FILE, catalogue)
    app = make_app(THEMES_FILE=str(catalogue))
    runner, client = app.test_cli_runner(), app.test_client()
    import_editions(runner, tmp_path / "editions", edition("june", "2021-06-07"))
    etag = client.get("/themes/").headers["ETag"]
    text = catalogue.read_text()
    assert "      Products that other people" in text
    catalogue.write_text(text.replace("      Products that other", "      Now products that other"))
    import_editions(runner, tmp_path / "editions")
    response = client.get("/themes/", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Now products" in response.text


def test_page_max_age_zero_asks_every_time(make_app: AppFactory) -> None:
    response = make_app(PAGE_MAX_AGE=0).test_client().get("/")
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.headers["ETag"]


def test_debug_mode_serves_every_page_afresh(make_app: AppFactory) -> None:
    app = make_app()
    app.debug = True
    response = app.test_client().get("/")
    assert response.status_code == 200 and _no_cache_validators(response)


def test_an_empty_archive_has_an_etag_but_no_last_modified(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["ETag"] and "Last-Modified" not in response.headers


def _no_cache_validators(response: Any) -> bool:
    return (
        "ETag" not in response.headers
        and "Last-Modified" not in response.headers
        and "public" not in response.headers.get("Cache-Control", "")
    )


@pytest.mark.parametrize(
    "path",
    ["/editions/no-such-edition", "/themes/no-such-theme/feed.xml", "/editions/?page=99"],
)
def test_errors_of_cacheable_pages_carry_no_validators(site: FlaskClient, path: str) -> None:
    response = site.get(path)
    assert response.status_code == 404 and _no_cache_validators(response)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/search", 400),
        ("/api/search?q=*", 400),
        ("/search?q=*", 400),
        ("/search?q=platforms", 200),
        ("/api/search?q=platforms", 200),
        ("/healthz", 200),
    ],
)
def test_search_and_health_are_not_cached(site: FlaskClient, path: str, status: int) -> None:
    response = site.get(path)
    assert response.status_code == status and _no_cache_validators(response)


def test_the_sign_up_form_and_its_answers_are_never_cached(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(MAIL_DIR=str(tmp_path / "mail"), SIGNUP_MIN_SECONDS=0)
    client = app.test_client()
    form = client.post("/subscribe/continue", data={"email": "reader@example.com"})
    assert form.headers["Cache-Control"] == "no-store" and _no_cache_validators(form)
    data = hidden_fields(form.text) | {"email": "reader@example.com"}
    answer = client.post("/subscribe", data=data)
    assert answer.status_code == 303
    assert answer.headers["Cache-Control"] == "no-store" and _no_cache_validators(answer)
    refused = client.post("/subscribe", data=hidden_fields(form.text) | {"email": "nobody"})
    assert refused.status_code == 422
    assert refused.headers["Cache-Control"] == "no-store" and _no_cache_validators(refused)


@pytest.mark.parametrize("path", CACHEABLE)
def test_a_page_asked_for_again_is_not_rendered_again(
    app: Flask, site: FlaskClient, path: str
) -> None:
    first = site.get(path)
    with work_done(app) as seen:
        again = site.get(path)
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert seen["templates"] == [] and len(seen["sql"]) <= 1  # the content version at most


def test_kept_pages_never_outlive_an_import(
    site: FlaskClient, seeded: FlaskCliRunner, tmp_path: Path
) -> None:
    before = site.get("/editions/").text
    import_editions(seeded, tmp_path / "july", edition("july", "2021-07-05"))
    assert "Edition july" not in before and "Edition july" in site.get("/editions/").text


@pytest.mark.parametrize(("interval", "seen_at_once"), [(3600, False), (0, True)])
def test_a_change_by_another_process_shows_within_the_check_interval(
    make_app: AppFactory, tmp_path: Path, interval: int, seen_at_once: bool
) -> None:
    """Writes by this process are seen at once; another process's (an import run by the
    editor) after at most CONTENT_CHECK_SECONDS."""
    app = make_app(CONTENT_CHECK_SECONDS=interval)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["editions", "import", str(ARCHIVE)]).exit_code == 0
    client = app.test_client()
    before = client.get("/editions/")
    assert before.status_code == 200
    with app.app_context():
        engine = get_engine()
    elsewhere = create_engine(engine.url)  # not through portal.db: as another process would
    with elsewhere.begin() as other:  # as the other process's import would: revision too
        other.execute(update(Edition).values(title="Retitled elsewhere"))
        revision.advance(Session(bind=other))
    elsewhere.dispose()
    after = client.get("/editions/")
    assert ("Retitled elsewhere" in after.text) is seen_at_once
    assert (after.headers["ETag"] != before.headers["ETag"]) is seen_at_once
