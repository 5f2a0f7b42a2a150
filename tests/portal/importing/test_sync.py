"""`flask editions sync FEED_URL`: fetching the site's feed over real HTTP, conditionally."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.db import get_session
from portal.models import Edition
from tests.conftest import AppFactory
from tests.portal.importing.test_wordpress_import import SHARED, invoke

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
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


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
