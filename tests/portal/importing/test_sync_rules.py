"""`flask editions sync` holds what it fetches to the rules files are held to (wild/README.md):
any encoding XML allows, a file cut short refused whole, names decoded, summaries said once."""

from __future__ import annotations

import http.server
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.conftest import AppFactory
from tests.portal.importing.test_wild_files import NOT_WELL_FORMED, state
from tests.portal.importing.test_wild_variations import FEED, atom_entry, reencoded
from tests.portal.importing.test_wordpress_import import invoke
from tests.support.http_server import serving

pytestmark = pytest.mark.sqlite_only(reason="fetching does not depend on the database backend")

ETAG = '"v1"'
BODIES = {
    "/utf-16/": reencoded(b"\n\n" + FEED, "utf-16-be", b""),  # blank lines, no BOM
    "/utf-32/": reencoded(FEED, "utf-32-le", b"\xff\xfe\x00\x00"),
    "/cut/": FEED[: len(FEED) * 2 // 3],
    "/atom/": atom_entry("html").encode(),
    "/summaries/": FEED.replace(b"<content:encoded>", b"<ignored>").replace(
        b"</content:encoded>", b"</ignored>"
    ),
}


class RulesServer(http.server.ThreadingHTTPServer):
    """Serves one body per path, always with the same ETag; records If-None-Match."""

    seen: list[tuple[str, str | None]]


class Handler(http.server.BaseHTTPRequestHandler):
    server: RulesServer

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("If-None-Match")))
        body = BODIES[self.path]
        self.send_response(200)
        self.send_header("ETag", ETAG)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def rules() -> Iterator[RulesServer]:
    httpd = RulesServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.seen = []
    with serving(httpd):
        yield httpd


def sync(app: Flask, httpd: RulesServer, path: str) -> tuple[int, str]:
    return invoke(app, "editions", "sync", f"http://127.0.0.1:{httpd.server_address[1]}{path}")


@pytest.mark.parametrize("path", ["/utf-16/", "/utf-32/"])
def test_a_feed_in_utf_16_or_utf_32_is_synced(
    make_app: AppFactory, rules: RulesServer, path: str
) -> None:
    app = make_app()
    code, output = sync(app, rules, path)
    assert code == 0 and "3 added" in output, output
    assert len(state(app)) == 3


def test_a_feed_cut_short_is_refused_whole_and_fetched_again_next_time(
    make_app: AppFactory, rules: RulesServer
) -> None:
    app = make_app()
    code, output = sync(app, rules, "/cut/")
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == 1 and len(errors) == 1 and NOT_WELL_FORMED.match(errors[0]), output
    assert state(app) == []
    # What was refused is not remembered: the next sync asks for the whole feed again.
    sync(app, rules, "/cut/")
    assert rules.seen == [("/cut/", None), ("/cut/", None)]


def test_an_atom_feed_s_html_title_is_decoded_once(
    make_app: AppFactory, rules: RulesServer
) -> None:
    app = make_app()
    code, output = sync(app, rules, "/atom/")
    assert code == 0 and "1 added" in output, output
    assert [slug for slug, _u, _d in state(app)] == ["will-platforms-conquer-the-world"]


def test_a_feed_of_summaries_says_so_once_and_rejects_its_editions(
    make_app: AppFactory, rules: RulesServer
) -> None:
    app = make_app()
    code, output = sync(app, rules, "/summaries/")
    assert code == 1
    assert output.count("the feed carries summaries only") == 1
    assert "skipped: 'Five questions to ask before you write a single user story'" in output
    assert output.count(": no post content found (a feed must carry full text") == 3
    assert "Error: 3 rejected in 1 file" in output and state(app) == []
