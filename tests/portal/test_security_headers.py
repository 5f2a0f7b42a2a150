"""Every kind of response carries the security headers: pages, errors, static files, feeds, JSON."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import ARCHIVE, AppFactory
from tests.support.builders import edition, import_editions, link
from tests.support.signup_helpers import hidden_fields

pytestmark = pytest.mark.sqlite_only(reason="headers do not depend on the database backend")

EXPECTED = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()"
    ),
}
PLATFORMS = "/editions/will-platforms-conquer-the-world"
Request = Callable[[FlaskClient], TestResponse]


def _get(path: str) -> Request:
    return lambda client: client.get(path)


def _sign_up(client: FlaskClient) -> TestResponse:
    fields = hidden_fields(client.get("/subscribe").text)
    return client.post("/subscribe", data=fields | {"email": "reader@example.com"})


def _rate_limited(client: FlaskClient) -> TestResponse:
    _sign_up(client)  # SIGNUP_RATE_LIMIT allows one, whatever ran before
    return _sign_up(client)


def _oversized(client: FlaskClient) -> TestResponse:
    return client.post("/subscribe", data={"email": "a" * 5000})


def _static(client: FlaskClient) -> TestResponse:
    with client.application.test_request_context():
        path = url_for("static", filename="style.css")
    return client.get(path)


# (name, request, expected status): every page type the portal answers with.
CASES: list[tuple[str, Request, int]] = [
    ("home", _get("/"), 200),
    ("editions", _get("/editions/"), 200),
    ("year", _get("/editions/2021/"), 200),
    ("month", _get("/editions/2021/06/"), 200),
    ("edition", _get(PLATFORMS), 200),
    ("themes", _get("/themes/"), 200),
    ("theme", _get("/themes/platforms"), 200),
    ("sources", _get("/sources/"), 200),
    ("source", _get("/sources/wired"), 200),
    ("search results", _get("/search?q=platforms"), 200),
    ("search empty", _get("/search"), 200),
    ("search nothing found", _get("/search?q=zebra"), 200),
    ("search help", _get("/search/help"), 200),
    ("search query error", _get("/search?q=*"), 400),
    ("api search", _get("/api/search?q=platforms"), 200),
    ("api search error", _get("/api/search"), 400),
    ("atom feed", _get("/feed.xml"), 200),
    ("json feed", _get("/feed.json"), 200),
    ("theme atom feed", _get("/themes/platforms/feed.xml"), 200),
    ("theme json feed", _get("/themes/platforms/feed.json"), 200),
    ("sitemap", _get("/sitemap.xml"), 200),
    ("robots", _get("/robots.txt"), 200),
    ("opensearch", _get("/opensearch.xml"), 200),
    ("subscribe form", _get("/subscribe"), 200),
    (
        "subscribe form filled in",
        lambda client: client.post("/subscribe/continue", data={"email": "reader@example.com"}),
        200,
    ),
    ("sitemap part", _get("/sitemap-9.xml"), 404),
    ("check your inbox", _get("/subscribe/check-your-inbox"), 200),
    ("confirm link invalid", _get("/subscribe/confirm/forged"), 400),
    ("unsubscribe link invalid", _get("/unsubscribe/forged"), 400),
    ("healthz", _get("/healthz"), 200),
    ("static file", _static, 200),
    ("sign-up answer", _sign_up, 303),  # uses up the one sign-up the limit allows
    ("not found", _get("/nowhere"), 404),
    ("wrong method", lambda client: client.post("/editions/"), 405),
    ("too large", _oversized, 413),
    ("rate limited", _rate_limited, 429),
    ("unexpected error", _get("/boom"), 500),
]


@pytest.fixture
def site(make_app: AppFactory, tmp_path: Path) -> Flask:
    """Return an app holding the archive and one dated edition, with a route that fails."""
    app = make_app(
        MAIL_DIR=str(tmp_path / "mail"),
        SIGNUP_MIN_SECONDS=0,
        SIGNUP_RATE_LIMIT="1 per hour",
        MAX_CONTENT_LENGTH=1024,
    )

    def boom() -> str:
        raise RuntimeError("a failure the test provokes")

    app.add_url_rule("/boom", "boom", boom)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["editions", "import", str(ARCHIVE)]).exit_code == 0
    june = edition("june", "2021-06-07", (link("A June link", themes=("platforms",)),))
    import_editions(runner, tmp_path / "editions", june)
    return app


def _missing_headers(response: TestResponse) -> dict[str, str | None]:
    return {
        name: response.headers.get(name)
        for name, value in EXPECTED.items()
        if response.headers.get(name) != value
    }


def test_every_page_type_carries_every_security_header(
    site: Flask, make_app: AppFactory, tmp_path: Path
) -> None:
    unindexed = make_app(INDEX_DIR=str(tmp_path / "no-index"))
    cases = [*CASES, ("search unavailable", _get("/search?q=platforms"), 503)]
    problems = {}
    for name, send, status in cases:
        app = unindexed if name == "search unavailable" else site
        with send(app.test_client()) as response:
            problems.update(_problems(name, response, status))
    assert problems == {}


def _problems(name: str, response: TestResponse, status: int) -> dict[str, str]:
    if response.status_code != status:
        return {name: f"status {response.status_code}, expected {status}"}
    if missing := _missing_headers(response):
        return {name: f"wrong or missing: {missing}"}
    if "Strict-Transport-Security" in response.headers:
        return {name: "HSTS over plain HTTP"}
    return {}


@pytest.mark.parametrize("path", ["/", PLATFORMS, "/subscribe", "/nowhere", "/healthz"])
def test_over_https_every_answer_adds_hsts(site: Flask, path: str) -> None:
    response = site.test_client().get(path, base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert not _missing_headers(response)


def test_the_edition_page_has_no_inline_script_or_style(site: Flask) -> None:
    page = site.test_client().get(PLATFORMS).text
    # The JSON-LD block is data, which CSP does not govern; nothing else may be inline.
    scripts = re.findall(r"<script[^>]*>", page)
    data = [tag for tag in scripts if tag == '<script type="application/ld+json">']
    assert len(data) == 1
    assert all(" src=" in tag for tag in scripts if tag not in data)  # files from 'self' only
    assert "<style" not in page and " style=" not in page and " on" + "click=" not in page
