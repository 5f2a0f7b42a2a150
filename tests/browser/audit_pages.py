"""Every page type of the site, as the accessibility (axe) and HTML validity (vnu) audits see it.

One sign-up through the real form gives a live confirmation link; the other signed links
(unsubscribe, expired) are made with the site's secret key. The 503 page of a missing search
index is rendered by an app with no index and served in place of one search URL.
"""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

from itsdangerous import TimestampSigner
from sqlalchemy import create_engine

from portal import create_app
from portal.migrations import migrate
from portal.subscriptions.tokens import (
    CONFIRM_MAX_AGE,
    make_confirm_token,
    make_unsubscribe_token,
)
from tests.support.signup_helpers import hidden_fields

if TYPE_CHECKING:  # conftest imports this module for its fixture
    from tests.browser.conftest import Site

AUDIT_ADDRESS = "audit@example.com"
# An unsubscribe link for nobody: the page and its answer are the same for every address.
NOBODY = (999_999, "nobody@example.com")
UNAVAILABLE_PATH = "/search?q=unavailable"
TOO_LARGE = 70_000  # bytes, over MAX_CONTENT_LENGTH (64 KiB)


@dataclass(frozen=True)
class AuditedPage:
    """A page to audit: its address, the status it answers, and how it is reached.

    `press` names the button to press on `path` in the browser (a form's answer page);
    `method` and `body` say how to fetch its HTML without a browser; `shows` is text the
    page must hold, so a page type cannot quietly turn into another.
    """

    name: str
    path: str
    status: int = 200
    press: str | None = None
    method: str = "GET"
    body: bytes | None = None
    in_browser: bool = True
    shows: str = "</h1>"


@dataclass(frozen=True)
class AuditSite:
    """The running site, every page type on it, and the 503 page of a missing search index."""

    site: Site
    pages: tuple[AuditedPage, ...]
    unavailable_html: bytes

    @classmethod
    def build(cls, site: Site, secret_key: str, folder: Path) -> AuditSite:
        """Return the pages of `site`, signing up once for a live confirmation link."""
        pages = _page_types(site, secret_key)
        return cls(site, pages, _unavailable_search_page(site, secret_key, folder))

    def html(self, page: AuditedPage) -> bytes:
        """Return the HTML of a page fetched without a browser, checking its status."""
        if page.path == UNAVAILABLE_PATH:
            return self.unavailable_html
        url = self.site.url + page.path
        request = urllib.request.Request(url, data=page.body, method=page.method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, html = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, html = error.code, error.read()
        assert status == page.status, f"{page.name}: {url} answered {status}, not {page.status}"
        assert page.shows.encode() in html, f"{page.name}: {url} does not show {page.shows!r}"
        return bytes(html)


def _page_types(site: Site, secret_key: str) -> tuple[AuditedPage, ...]:
    year, month = _dated_archive_paths(site)
    confirm = _sign_up_for_a_confirmation_link(site)
    unsubscribe = "/unsubscribe/" + make_unsubscribe_token(secret_key, *NOBODY)
    return (
        AuditedPage("home", "/"),
        AuditedPage("editions", "/editions/"),
        AuditedPage("year", year),
        AuditedPage("month", month),
        AuditedPage("edition", "/editions/flywheel-headline"),
        AuditedPage("themes", "/themes/"),
        AuditedPage("theme", "/themes/strategy"),
        AuditedPage("sources", "/sources/"),
        AuditedPage("source", "/sources/wired"),
        AuditedPage("search-form", "/search"),
        AuditedPage("search", "/search?q=flywheel", shows="hit-title"),
        AuditedPage(
            "search-filtered",
            "/search?q=flywheel&theme=strategy&sort=newest",
            shows="Remove the theme filter",
        ),
        AuditedPage("search-no-results", "/search?q=qqqzzzq", shows="Nothing in the archive"),
        AuditedPage("search-did-you-mean", "/search?q=flywhel", shows="Did you mean"),
        AuditedPage("search-help", "/search/help"),
        AuditedPage("search-error", "/search?q=%2A", 400),
        AuditedPage("search-unavailable", UNAVAILABLE_PATH, 503, shows="Search is unavailable"),
        AuditedPage("subscribe", "/subscribe"),
        AuditedPage("check-your-inbox", "/subscribe/check-your-inbox"),
        AuditedPage("confirm", confirm),
        AuditedPage("confirmed", "/subscribe/confirmed"),
        AuditedPage("unsubscribe", unsubscribe),
        AuditedPage("unsubscribed", unsubscribe, press="Unsubscribe", method="POST", body=b""),
        AuditedPage("link-invalid", "/subscribe/confirm/not-a-token", 400),
        AuditedPage("link-expired", "/subscribe/confirm/" + _expired_token(secret_key), 410),
        AuditedPage("not-found", "/nowhere", 404),
        AuditedPage("method-not-allowed", "/search", 405, method="POST", in_browser=False),
        AuditedPage(
            "too-large", "/subscribe", 413, method="POST", body=b"x" * TOO_LARGE, in_browser=False
        ),
    )


def _unavailable_search_page(site: Site, secret_key: str, folder: Path) -> bytes:
    """Return the 503 page /search answers when there is no search index."""
    empty = create_engine(f"sqlite:///{folder / 'empty.sqlite3'}")
    migrate.upgrade(empty)  # a schema but no index: pages would answer 503 without one
    empty.dispose()
    settings = {
        "TESTING": True,
        "DATABASE_URL": str(empty.url),
        "INDEX_DIR": str(folder / "no-index"),
        "SECRET_KEY": secret_key,
        "BASE_URL": site.url,
    }
    response = create_app(settings).test_client().get(UNAVAILABLE_PATH)
    assert response.status_code == 503, response.text
    return bytes(response.data)


def _dated_archive_paths(site: Site) -> tuple[str, str]:
    with urllib.request.urlopen(site.url + "/editions/", timeout=30) as response:
        html = response.read().decode()
    year = re.search(r'href="(/editions/\d{4}/)"', html)
    month = re.search(r'href="(/editions/\d{4}/\d{2}/)"', html)
    assert year and month, "no year or month links on /editions/"
    return year.group(1), month.group(1)


def _sign_up_for_a_confirmation_link(site: Site) -> str:
    """Sign up through the form, as a browser would, and return the emailed confirmation path."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(site.url + "/subscribe", timeout=30) as response:
        fields = hidden_fields(response.read().decode()) | {"email": AUDIT_ADDRESS}
    data = urllib.parse.urlencode(fields).encode()
    with opener.open(site.url + "/subscribe", data=data, timeout=30) as response:
        assert response.url.endswith("/subscribe/check-your-inbox"), response.url
    [mail] = site.wait_for_mail(AUDIT_ADDRESS, 1)
    found = re.search(re.escape(site.url) + r"(/subscribe/confirm/[\w.-]+)", mail.text)
    assert found, mail.text
    return found.group(1)


def _expired_token(secret_key: str) -> str:
    """Return a confirmation token signed a day longer ago than links last."""
    signed_at = int(time.time() - CONFIRM_MAX_AGE.total_seconds() - 86_400)
    with mock.patch.object(TimestampSigner, "get_timestamp", lambda _self: signed_at):
        return make_confirm_token(secret_key, *NOBODY)
