"""Every path that writes editions or themes leaves the index current through
`portal.search.content_changed`: import, feed sync and tagging (the newsletter's path joins
this table when it lands). No request is made, so no background catch-up can help."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from click.testing import Result
from flask import Flask

from index.storage import write_lock
from portal import revision, search
from portal.db import get_session, write_transaction
from tests.conftest import SHARED
from tests.portal.importing.test_sync import FeedServer, server  # noqa: F401 (a fixture)

INGEST = SHARED / "ingest"


def invoke(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def assert_index_current(app: Flask) -> None:
    """The index holds every edition as the database has it, at the database's revision."""
    with app.app_context():
        session = get_session()
        assert search.check_index(session) == []
        assert not search.index_behind(revision.current(session))


def import_files(app: Flask, _server: FeedServer) -> Result:
    return invoke(app, "editions", "import", str(INGEST / "wordpress-page.html"))


def sync_feed(app: Flask, feed: FeedServer) -> Result:
    return invoke(app, "editions", "sync", f"http://127.0.0.1:{feed.server_address[1]}/feed/")


def tag_links(app: Flask, feed: FeedServer) -> Result:
    import_files(app, feed)
    assert_index_current(app)
    return invoke(app, "themes", "suggest", "--apply", "--yes")


@pytest.mark.parametrize("write", [import_files, sync_feed, tag_links], ids=lambda f: f.__name__)
def test_each_writer_leaves_the_index_current(
    app: Flask,
    server: FeedServer,  # noqa: F811 (the fixture imported above)
    write: Callable[[Flask, FeedServer], Result],
) -> None:
    with app.app_context():
        before = revision.current(get_session())
    result = write(app, server)
    with app.app_context():
        assert revision.current(get_session()) > before, "the path wrote nothing"
    assert re.search(r"Search index: [1-9]\d* editions re-indexed", result.output), result.output
    assert_index_current(app)


def test_an_index_left_behind_is_seen(app: Flask, server: FeedServer) -> None:  # noqa: F811
    """The check above can fail: a write that skips the entry point leaves the index behind."""
    import_files(app, server)
    with app.app_context():
        with write_transaction() as session:
            revision.advance(session)
        assert search.index_behind(revision.current(get_session()))
    with pytest.raises(AssertionError):
        assert_index_current(app)


def test_a_busy_index_says_what_to_run_later(
    app: Flask,
    server: FeedServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The entry point's one message, whichever writer met the busy index."""
    import_files(app, server)
    monkeypatch.setattr("index.storage.WRITER_TIMEOUT_S", 0.1)
    with app.app_context():
        folder = search.index_folder()
    with write_lock(folder):
        for args in (
            ("editions", "import", str(INGEST / "wordpress-amp.html"), str(INGEST / "feed.rss")),
            ("themes", "suggest", "--apply", "--yes"),
        ):
            result = app.test_cli_runner().invoke(args=list(args))
            assert result.exit_code == 1, result.output
            assert "another process is writing the index" in result.output
            assert "run `flask index update` when it is done." in result.output
    invoke(app, "index", "update")
    assert_index_current(app)
