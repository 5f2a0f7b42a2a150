"""`flask editions sync FEED_URL`: fetching the site's feed over real HTTP, conditionally."""

from __future__ import annotations

import http.server
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.db import get_session
from portal.importing import feed_sync
from portal.models import Edition
from portal.settings import PROJECT_ROOT
from tests.conftest import AppFactory
from tests.portal.importing.test_wordpress_import import SHARED, invoke
from tests.support.http_server import serving

FEED = (SHARED / "feed.rss").read_bytes()
ETAG = '"feed-1"'


class FeedServer(http.server.HTTPServer):
    """Serves the shared feed at every path, with an ETag; records each request."""

    seen: list[tuple[str, str | None]]


class Handler(http.server.BaseHTTPRequestHandler):
    """Answer 304 to a matching If-None-Match, 404 to ?paged=3 and later, else the feed."""

    server: FeedServer

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("If-None-Match")))
        if self.headers.get("If-None-Match") == ETAG:
            self.send_response(304)
            self.end_headers()
            return
        status = 404 if "paged=3" in self.path else 200
        self.send_response(status)
        self.send_header("ETag", ETAG)
        self.send_header("Content-Length", str(len(FEED) if status == 200 else 0))
        self.end_headers()
        if status == 200:
            self.wfile.write(FEED)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def server() -> Iterator[FeedServer]:
    httpd = FeedServer(("127.0.0.1", 0), Handler)
    httpd.seen = []
    with serving(httpd):
        yield httpd


def _url(httpd: FeedServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/feed/"


def _state(app: Flask) -> list[tuple[str, object]]:
    with app.app_context():
        rows = get_session().execute(select(Edition.slug, Edition.updated_at)).all()
        return sorted((slug, updated) for slug, updated in rows)


def test_first_sync_imports_and_second_gets_304_and_writes_nothing(
    make_app: AppFactory, server: FeedServer
) -> None:
    app = make_app()
    code, output = invoke(app, "editions", "sync", _url(server))
    assert code == 0, output
    before = _state(app)
    assert len(before) == 3
    code, output = invoke(app, "editions", "sync", _url(server))
    assert code == 0, output
    assert "304 not modified, nothing imported" in output
    assert server.seen[-1] == ("/feed/", ETAG)
    assert _state(app) == before


def test_pages_follows_paged_until_a_404(make_app: AppFactory, server: FeedServer) -> None:
    app = make_app()
    code, output = invoke(app, "editions", "sync", "--pages", "5", _url(server))
    assert code == 0, output
    assert [path for path, _ in server.seen] == ["/feed/", "/feed/?paged=2", "/feed/?paged=3"]
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Edition)) == 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_feed_is_one_clear_line_and_exit_1(make_app: AppFactory) -> None:
    url = f"http://127.0.0.1:{_free_port()}/feed/"
    code, output = invoke(make_app(), "editions", "sync", url)
    assert code == 1
    assert output.strip().splitlines() == [
        f"Error: feed {url}: cannot fetch: [Errno 111] Connection refused"
    ]
    assert "Traceback" not in output


def test_a_feed_address_that_is_not_http_is_refused(make_app: AppFactory, tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text("<rss><channel><title>not to be read</title></channel></rss>")
    code, output = invoke(make_app(), "editions", "sync", secret.as_uri())
    assert code == 1
    assert "must start with http:// or https://" in output
    assert "not to be read" not in output


class OddHandler(http.server.BaseHTTPRequestHandler):
    """What a feed address may answer instead of a feed: a web page, too much, or a drip."""

    def do_GET(self) -> None:
        if self.path == "/slow/":
            self._start(len(FEED))
            for byte in FEED[:40]:  # one byte every 0.1 s: each read is quick, the whole is not
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.1)
            return
        body = {
            "/page/": b"<!doctype html><html><body><h1>A blog</h1></body></html>",
            "/big/": FEED + b"<!--" + b"x" * 20_000 + b"-->",
        }[self.path]
        self._start(len(body))
        self.wfile.write(body)

    def _start(self, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def odd() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OddHandler)
    httpd.daemon_threads = True
    with serving(httpd):
        yield f"http://127.0.0.1:{httpd.server_address[1]}"


def test_a_web_page_at_the_feed_address_is_refused(make_app: AppFactory, odd: str) -> None:
    app = make_app()
    code, output = invoke(app, "editions", "sync", f"{odd}/page/")
    assert code == 1
    assert output.strip().splitlines() == [f"Error: feed {odd}/page/: not an RSS or Atom feed"]
    assert _state(app) == []


def test_a_feed_over_the_size_cap_is_refused_unread(odd: str) -> None:
    with pytest.raises(feed_sync.FeedError, match="larger than 10,000 bytes"):
        feed_sync.fetch(f"{odd}/big/", None, cap=10_000)
    assert feed_sync.fetch(f"{odd}/big/", None, cap=len(FEED) + 30_000).body


def test_a_server_that_drips_its_answer_is_given_up_on(odd: str) -> None:
    # Every byte comes within the socket timeout; the whole answer does not come in time.
    with pytest.raises(feed_sync.FeedError, match="took too long"):
        feed_sync.fetch(f"{odd}/slow/", None, timeout=1.0)


def test_the_configured_feed_is_synced_without_naming_it(
    make_app: AppFactory, server: FeedServer
) -> None:
    app = make_app(FEED_URL=_url(server))
    code, output = invoke(app, "editions", "sync")
    assert code == 0, output
    assert len(_state(app)) == 3


@pytest.mark.parametrize(
    ("feed", "said"),
    [
        ("unreachable", "warning: feed http://127.0.0.1:"),
        ("page", "not an RSS or Atom feed (the portal serves what it holds)"),
        (None, "No feed to sync: PORTAL_FEED_URL is not set."),
    ],
)
def test_at_start_up_a_feed_problem_is_a_warning_not_a_failure(
    make_app: AppFactory, odd: str, feed: str | None, said: str
) -> None:
    url = {"unreachable": f"http://127.0.0.1:{_free_port()}/feed/", "page": f"{odd}/page/"}
    app = make_app(FEED_URL=url.get(feed or ""))
    code, output = invoke(app, "editions", "sync", "--warn-only")
    assert code == 0, output
    assert said in output and "Traceback" not in output


def test_without_a_url_or_a_configured_feed_sync_says_what_to_give(make_app: AppFactory) -> None:
    code, output = invoke(make_app(), "editions", "sync")
    assert code == 2
    assert "give the feed's URL, or set PORTAL_FEED_URL" in output


def test_make_run_syncs_the_configured_feed_after_the_archive_and_before_indexing() -> None:
    dry = subprocess.run(
        ["make", "-n", "prepare"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    steps = [line.split("flask ", 1)[1] for line in dry if "flask " in line]
    assert steps.index("editions sync --warn-only") > steps.index("editions import archive/")
    assert steps.index("editions sync --warn-only") < steps.index("index update")
