"""Headers a client sends never move the links on a page, nor reach another client's page.

gunicorn's defaults trust any client on 127.0.0.1 to set `SCRIPT_NAME:` (every link moves
under its prefix) and `X-Forwarded-Proto`; gunicorn.conf.py trusts none, leaving forwarded
headers to PORTAL_PROXY_HOPS. And kept pages are keyed on the script root and the scheme,
so a page made under another root is never handed to anyone else.
"""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.conftest import DatabaseFactory
from tests.support.serving import PATIENCE, gunicorn, portal_environment
from tests.support.signup_helpers import Mailbox

STYLESHEET = 'href="/static/style.css'


def _get(host: str, path: str, headers: dict[str, str]) -> tuple[http.client.HTTPResponse, str]:
    connection = http.client.HTTPConnection(host, timeout=PATIENCE)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response, response.read().decode()
    finally:
        connection.close()


@pytest.mark.sqlite_only(reason="starts gunicorn on a SQLite file")
def test_gunicorn_believes_no_forwarded_header_from_a_local_client(
    make_database: DatabaseFactory, mailbox: Mailbox, tmp_path: Path
) -> None:
    env = portal_environment(make_database(), mailbox, tmp_path / "mail")
    env["PORTAL_INDEX_DIR"] = str(tmp_path / "index")
    forged = {"SCRIPT_NAME": "/evil", "X-Forwarded-Proto": "https"}
    with gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
        # Believed, the header would make /evil/ the home page, its links under /evil/, kept
        # under the key of "/" for everyone else.
        moved, moved_page = _get(server.host, "/evil/", forged)
        answers = [_get(server.host, "/", forged), _get(server.host, "/", {})]
    assert moved.status == 404 and "/evil" not in moved_page
    for response, page in answers:
        assert response.status == 200
        assert STYLESHEET in page and "/evil" not in page
        assert response.getheader("Strict-Transport-Security") is None


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ({"SCRIPT_NAME": "/evil"}, {}),
        ({}, {"SCRIPT_NAME": "/mounted"}),
        ({"wsgi.url_scheme": "https"}, {}),
    ],
)
def test_a_kept_page_is_only_served_under_the_root_it_was_made_for(
    app: Flask, seeded: FlaskCliRunner, first: dict[str, str], then: dict[str, str]
) -> None:
    """Under a WSGI server that does pass SCRIPT_NAME on, each root gets its own page."""
    client = app.test_client()
    for path in ("/", "/editions/", "/search?q=platforms"):
        made = client.get(path, environ_overrides=first)
        again = client.get(path, environ_overrides=then)
        assert made.status_code == again.status_code == 200
        root = then.get("SCRIPT_NAME", "")
        assert f'href="{root}/static/style.css' in again.text, path
        assert made.headers.get("ETag") is None or made.headers["ETag"] != again.headers["ETag"]
