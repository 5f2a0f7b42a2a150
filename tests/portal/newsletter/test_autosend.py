"""PORTAL_NEWSLETTER_AUTOSEND: what `flask editions sync` lists or schedules, and what it never does."""

from __future__ import annotations

import datetime as dt
import http.server
import re
from collections.abc import Iterator
from email.utils import format_datetime

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update

from portal.db import get_session
from portal.models import AutosendState, Edition, NewsletterSend
from portal.newsletter import sends
from tests.conftest import AppFactory
from tests.portal.importing.test_wordpress_import import SHARED
from tests.portal.newsletter.delivery_helpers import add_subscribers, address, mail_config
from tests.support.http_server import serving
from tests.support.smtp_server import SmtpServer

pytestmark = pytest.mark.sqlite_only(reason="sync and the send record; the database is incidental")

FEED = (SHARED / "feed.rss").read_text()
FIRST_ITEM = re.compile(r"\s*<item>.*?</item>", re.DOTALL)
PRICING_DATE = "Mon, 21 Jun 2021 07:00:00 +0000"


class FeedServer(http.server.HTTPServer):
    """Serves the feed the test sets; `?paged=2` serves `back` (404 when None), later pages 404."""

    feed: str
    back: str | None


class Handler(http.server.BaseHTTPRequestHandler):
    """Answer with the server's current feed."""

    server: FeedServer

    def do_GET(self) -> None:
        page = self.server.back if "paged=2" in self.path else self.server.feed
        if "paged=" in self.path and ("paged=2" not in self.path or page is None):
            self.send_error(404)
            return
        assert page is not None
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    """Return a feed server whose first sync lacks the newest edition (Pricing)."""
    httpd = FeedServer(("127.0.0.1", 0), Handler)
    httpd.feed = FIRST_ITEM.sub("", FEED, count=1)
    httpd.back = None
    with serving(httpd):
        yield httpd


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """Return a running test SMTP server."""
    server = SmtpServer().start()
    yield server
    server.stop()


def _sync(runner: FlaskCliRunner, server: FeedServer, *more: str) -> None:
    url = f"http://127.0.0.1:{server.server_address[1]}/feed/"
    result = runner.invoke(args=["editions", "sync", url, *more])
    assert result.exit_code == 0, result.output


def _publish_pricing(server: FeedServer, published: dt.datetime | None = None) -> None:
    """Put the newest edition on the feed, published now (or at `published`)."""
    when = format_datetime(published or dt.datetime.now(dt.UTC))
    server.feed = FEED.replace(PRICING_DATE, when, 1)


def _pricing_appears(runner: FlaskCliRunner, server: FeedServer) -> None:
    """Sync (autosend's first sighting), publish the newest edition, sync again."""
    _sync(runner, server)
    _publish_pricing(server)
    _sync(runner, server)


def _sends(app: Flask) -> dict[str, tuple[str, str]]:
    with app.app_context():
        rows = get_session().execute(
            select(Edition.slug, NewsletterSend.state, NewsletterSend.origin).join(
                Edition, Edition.id == NewsletterSend.edition_id
            )
        )
        return {slug: (state, origin) for slug, state, origin in rows}


def _app(make_app: AppFactory, smtp: SmtpServer, mode: str, delay: int = 30) -> Flask:
    app = make_app(**mail_config(smtp.port, NEWSLETTER_AUTOSEND=mode, NEWSLETTER_DELAY=delay))
    add_subscribers(app, range(4))
    return app


def test_send_schedules_a_new_first_page_edition_and_send_due_sends_it_when_due(
    make_app: AppFactory, smtp: SmtpServer, feed: FeedServer
) -> None:
    app = _app(make_app, smtp, "send")
    runner = app.test_cli_runner()
    _sync(runner, feed)  # autosend first seen on: what this sync finds is older than that
    assert _sends(app) == {}
    _publish_pricing(feed)
    _sync(runner, feed)
    [(slug, planned)] = _sends(app).items()
    assert planned == ("scheduled", "autosend")
    status = runner.invoke(args=["newsletter", "status"]).output
    assert f"{slug}: scheduled for " in status and "`flask newsletter send --due`" in status
    early = runner.invoke(args=["newsletter", "send", "--due"])
    assert early.exit_code == 0 and "Nothing scheduled has come due." in early.output
    assert not smtp.counts
    with app.app_context():
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        get_session().execute(update(NewsletterSend).values(due_at=past))
        get_session().commit()
    due = runner.invoke(args=["newsletter", "send", "--due"])
    assert due.exit_code == 0, due.output
    assert smtp.counts == {address(n): 1 for n in range(4)}
    again = runner.invoke(args=["newsletter", "send", "--due"])
    assert "Nothing scheduled has come due." in again.output


def test_cancel_stops_a_scheduled_edition(
    make_app: AppFactory, smtp: SmtpServer, feed: FeedServer
) -> None:
    app = _app(make_app, smtp, "send", delay=0)
    runner = app.test_cli_runner()
    _pricing_appears(runner, feed)
    [slug] = _sends(app)
    cancelled = runner.invoke(args=["newsletter", "cancel", slug])
    assert cancelled.exit_code == 0 and f"{slug}: scheduled send cancelled." in cancelled.output
    assert "Nothing scheduled" in runner.invoke(args=["newsletter", "send", "--due"]).output
    assert not smtp.counts
    assert _sends(app)[slug][0] == "cancelled"


def test_draft_lists_the_edition_as_ready_and_sends_nothing(
    make_app: AppFactory, smtp: SmtpServer, feed: FeedServer
) -> None:
    app = _app(make_app, smtp, "draft", delay=0)
    runner = app.test_cli_runner()
    _pricing_appears(runner, feed)
    [(slug, planned)] = _sends(app).items()
    assert planned == ("draft", "autosend")
    status = runner.invoke(args=["newsletter", "status"]).output
    assert f"{slug}: ready (draft): `flask newsletter send {slug}`" in status
    assert "Nothing scheduled" in runner.invoke(args=["newsletter", "send", "--due"]).output
    assert not smtp.counts


def test_an_edition_published_before_autosend_was_on_is_never_planned(
    make_app: AppFactory, smtp: SmtpServer, feed: FeedServer
) -> None:
    app = _app(make_app, smtp, "send", delay=0)
    runner = app.test_cli_runner()
    _sync(runner, feed)
    _publish_pricing(feed, dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    _sync(runner, feed)
    assert _sends(app) == {}
    assert "Nothing scheduled" in runner.invoke(args=["newsletter", "send", "--due"]).output


def test_off_plans_nothing_and_does_not_count_as_turned_on(
    make_app: AppFactory, smtp: SmtpServer, feed: FeedServer
) -> None:
    app = _app(make_app, smtp, "off")
    runner = app.test_cli_runner()
    _pricing_appears(runner, feed)
    assert _sends(app) == {}
    with app.app_context():
        assert get_session().get(AutosendState, 1) is None


def test_an_edition_first_seen_on_a_back_page_is_never_planned(
    make_app: AppFactory, smtp: SmtpServer, feed: FeedServer
) -> None:
    app = _app(make_app, smtp, "send", delay=0)
    runner = app.test_cli_runner()
    _sync(runner, feed)
    feed.back = FEED.replace(PRICING_DATE, format_datetime(dt.datetime.now(dt.UTC)), 1)
    _sync(runner, feed, "--pages", "3")
    with app.app_context():
        slugs = set(get_session().scalars(select(Edition.slug)))
    assert any("pricing" in slug for slug in slugs), slugs  # imported from page 2 ...
    assert _sends(app) == {}  # ... and not mailed by itself


def test_an_edition_imported_from_a_file_first_is_not_planned_when_the_feed_shows_it(
    make_app: AppFactory, smtp: SmtpServer, feed: FeedServer
) -> None:
    app = _app(make_app, smtp, "send", delay=0)
    runner = app.test_cli_runner()
    _sync(runner, feed)
    _publish_pricing(feed)
    # The same feed read from a file (an export's stand-in) is an import, not a sync.
    imported = runner.invoke(args=["editions", "import", str(SHARED / "feed.rss")])
    assert imported.exit_code == 0, imported.output
    _sync(runner, feed)
    assert _sends(app) == {}


def test_send_due_finishes_an_autosend_whose_sender_died(
    make_app: AppFactory, smtp: SmtpServer, feed: FeedServer
) -> None:
    app = _app(make_app, smtp, "send", delay=0)
    runner = app.test_cli_runner()
    _pricing_appears(runner, feed)
    with app.app_context():
        [edition_id] = get_session().scalars(select(NewsletterSend.edition_id))
        # What a timer's sender killed right after recording the audience leaves behind.
        assert sends.start_send(edition_id) == 4
    due = runner.invoke(args=["newsletter", "send", "--due"])
    assert due.exit_code == 0, due.output
    assert smtp.counts == {address(n): 1 for n in range(4)}
    assert "Nothing scheduled" in runner.invoke(args=["newsletter", "send", "--due"]).output
