"""The subscriber's whole journey over real HTTPS, as the README deploys it (production mode).

gunicorn serves TLS with a certificate the test makes, or serves plain HTTP behind the
README's own nginx block with that certificate; Chromium ignores that it is self-signed. Over HTTPS Flask-WTF also checks that a form POST's Referer is this site, so
any page that hides its address from the next request breaks its own form: this is where
the confirmation button once answered 400 "Form expired".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from itsdangerous import TimestampSigner
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect
from sqlalchemy import create_engine

from portal.migrations import migrate
from portal.subscriptions.tokens import CONFIRM_MAX_AGE, make_confirm_token, read_confirm_token
from tests.browser.conftest import (
    SECRET_KEY,
    Certificate,
    Site,
    browser_context,
    gunicorn_site,
)
from tests.browser.proxy import nginx_proxy
from tests.browser.test_journeys import mail_link
from tests.support.signup_helpers import Mailbox, Received, free_port

CONFIRM_PATH = r"/subscribe/confirm/[\w.-]+"
UNSUBSCRIBE_PATH = r"/unsubscribe/[\w.-]+"


@pytest.fixture(scope="module", params=["gunicorn-tls", "readme-nginx"])
def tls_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """Return the portal in production mode over HTTPS on 127.0.0.1.

    Twice: gunicorn speaking TLS itself, and gunicorn behind the README's nginx block with
    `PORTAL_PROXY_HOPS=1`, on a port other than 443 (where nginx's `$host` lost the port).
    """
    folder = tmp_path_factory.mktemp("https-site")
    behind_nginx = request.param == "readme-nginx"
    port, public_port = free_port(), free_port()
    mailbox = Mailbox()
    settings = https_settings(folder, public_port if behind_nginx else port, mailbox)
    settings["PROXY_HOPS"] = 1 if behind_nginx else 0
    engine = create_engine(str(settings["DATABASE_URL"]))
    migrate.upgrade(engine)
    engine.dispose()
    certificate = Certificate.make(folder)
    mailbox.start()
    try:
        if behind_nginx:
            with (
                gunicorn_site(folder, settings, port),
                nginx_proxy(folder / "nginx", public_port, port, certificate.cert, certificate.key),
            ):
                yield Site(f"https://127.0.0.1:{public_port}", mailbox)
        else:
            with gunicorn_site(folder, settings, port, certificate) as url:
                yield Site(url, mailbox)
    finally:
        mailbox.stop()


def https_settings(folder: Path, public_port: int, mailbox: Mailbox) -> dict[str, object]:
    """Return production settings for a site whose readers reach it on https://127.0.0.1:port."""
    return {
        "ENV": "production",
        "DATABASE_URL": f"sqlite:///{folder / 'portal.sqlite3'}",
        "INDEX_DIR": str(folder / "index"),
        "SECRET_KEY": SECRET_KEY,
        "BASE_URL": f"https://127.0.0.1:{public_port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": mailbox.port,
        "SMTP_TLS": "none",
        "MAIL_DIR": str(folder / "mail"),
        "MAIL_FROM": "PRODUCTHEAD <newsletter@example.test>",
        "SIGNUP_MIN_SECONDS": 0,
        "SIGNUP_RATE_LIMIT": "1000 per minute",
    }


@pytest.fixture
def tls_context(browser: Browser, tls_site: Site, javascript: bool) -> Iterator[BrowserContext]:
    """Return a fresh browser context on the HTTPS site that accepts its certificate."""
    with browser_context(browser, tls_site, javascript) as made:
        yield made


@pytest.fixture
def tls_page(tls_context: BrowserContext) -> Page:
    """Return a new page on the HTTPS site."""
    return tls_context.new_page()


def sign_up(page: Page, address: str) -> None:
    """Sign up through the form on /subscribe, checking HSTS on the way."""
    response = page.goto("/subscribe")
    assert response is not None
    assert "max-age=" in response.headers["strict-transport-security"]
    form = page.locator("main form.signup")
    form.get_by_label("Email").fill(address)
    form.get_by_role("button", name="Subscribe").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")


def sign_up_and_confirm(page: Page, site: Site, address: str) -> Received:
    """Sign up, confirm from the emailed link, and return the welcome mail."""
    sign_up(page, address)
    confirmation = site.wait_for_mail(address, 1)[0]
    page.goto(mail_link(confirmation.text, site, CONFIRM_PATH))
    expect(page.locator("h1")).to_have_text("Confirm your subscription")
    # The token stays on this site: other sites get no Referer from this page.
    expect(page.locator("meta[name=referrer]")).to_have_attribute("content", "same-origin")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("h1")).to_have_text("You are subscribed")
    return site.wait_for_mail(address, 2)[1]


def test_sign_up_confirm_and_unsubscribe_over_https(
    tls_page: Page, tls_context: BrowserContext, tls_site: Site, javascript: bool
) -> None:
    address = f"tls-{'js' if javascript else 'nojs'}@example.com"
    welcome = sign_up_and_confirm(tls_page, tls_site, address)
    tls_page.goto(mail_link(welcome.text, tls_site, UNSUBSCRIBE_PATH))
    expect(tls_page.locator("h1")).to_have_text("Unsubscribe from PRODUCTHEAD")
    tls_page.get_by_role("button", name="Unsubscribe").click()
    expect(tls_page.locator("h1")).to_have_text("You are unsubscribed")
    assert_cookies_are_locked_down(tls_context)


def test_an_expired_link_sends_a_new_one_over_https(
    tls_page: Page, tls_context: BrowserContext, tls_site: Site, javascript: bool
) -> None:
    address = f"tls-expired-{'js' if javascript else 'nojs'}@example.com"
    sign_up(tls_page, address)
    fresh = mail_link(tls_site.wait_for_mail(address, 1)[0].text, tls_site, CONFIRM_PATH)
    claim = read_confirm_token(SECRET_KEY, fresh.rsplit("/", 1)[1])

    tls_page.goto(f"/subscribe/confirm/{expired_token(claim.subscriber_id, address)}")
    expect(tls_page.locator("h1")).to_contain_text("expired")
    tls_page.get_by_role("button", name="Send me a new link").click()
    expect(tls_page.locator("h1")).to_have_text("Check your inbox")
    assert_cookies_are_locked_down(tls_context)


def test_one_click_unsubscribe_over_https(
    tls_page: Page, tls_site: Site, playwright: Playwright, javascript: bool
) -> None:
    address = f"tls-one-click-{'js' if javascript else 'nojs'}@example.com"
    welcome = sign_up_and_confirm(tls_page, tls_site, address).message
    target = re.fullmatch(r"<(https://[^>]+)>", str(welcome["List-Unsubscribe"]))
    assert target, welcome["List-Unsubscribe"]
    # A mail provider's POST (RFC 8058): no cookie, no CSRF token, no Referer.
    provider = playwright.request.new_context(ignore_https_errors=True)
    try:
        answer = provider.post(target.group(1), form={"List-Unsubscribe": "One-Click"})
        assert answer.status == 200, answer.text()
        assert "You are unsubscribed" in answer.text()
    finally:
        provider.dispose()


def expired_token(subscriber_id: int, address: str) -> str:
    """Return a confirmation token for this subscriber signed a day longer ago than links last."""
    signed_at = int(time.time() - CONFIRM_MAX_AGE.total_seconds() - 86_400)
    with mock.patch.object(TimestampSigner, "get_timestamp", lambda _self: signed_at):
        return make_confirm_token(SECRET_KEY, subscriber_id, address)


def assert_cookies_are_locked_down(context: BrowserContext) -> None:
    """Check every cookie the site set is Secure, HttpOnly and SameSite."""
    cookies = context.cookies()
    assert cookies, "the sign-up form set no cookie"
    for cookie in cookies:
        assert cookie["secure"], cookie
        assert cookie["httpOnly"], cookie
        assert cookie["sameSite"] in ("Lax", "Strict"), cookie
