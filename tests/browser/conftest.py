"""Browser-test fixtures: a real portal under gunicorn, a test SMTP server, and Chromium.

The site is built once per session: a migrated SQLite file holding the bundled archive, a
few search fixtures and 45 demo editions (several pages of archive), its search index, an
aiosmtpd server that keeps every message, and gunicorn serving `wsgi:app` on a free port.
Playwright drives Debian's `/usr/bin/chromium`; it never downloads a browser.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import create_engine

from portal import create_app
from portal.migrations import migrate
from portal.settings import PROJECT_ROOT
from tests.browser.audit_pages import AuditSite
from tests.conftest import ARCHIVE
from tests.support.signup_helpers import Mailbox, Received, free_port

CHROMIUM = Path("/usr/bin/chromium")
# The machine's network is closed: without these flags Chromium waits on connections to
# Google's services (updates, sync, QUIC probes) and pages can hang.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DEMO_EDITIONS = 45
EDITIONS_PER_PAGE = 10
STARTUP_SECONDS = 60
SECRET_KEY = "browser-test-secret"


@dataclass(frozen=True)
class Site:
    """The running portal: its address and the SMTP server its mail goes to."""

    url: str
    mailbox: Mailbox

    def wait_for_mail(self, address: str, count: int, timeout: float = 15) -> list[Received]:
        """Return the messages for `address` once there are `count` of them."""
        deadline = time.monotonic() + timeout
        while len(received := self.mailbox.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(received)} message(s) for {address}, not {count}")
            time.sleep(0.05)
        return received


def prepare_database(folder: Path, settings: dict[str, object]) -> None:
    """Migrate a fresh SQLite file and import the archive, fixtures and demo editions."""
    engine = create_engine(str(settings["DATABASE_URL"]))
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"TESTING": True, **settings})
    runner = app.test_cli_runner()
    demo = folder / "demo"
    for args in (
        ["editions", "demo", "--count", str(DEMO_EDITIONS), str(demo)],
        ["editions", "import", str(ARCHIVE), str(demo)],
        ["editions", "import", str(Path(__file__).parents[1] / "fixtures" / "search")],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    app.extensions["portal.db"]["engine"].dispose()


def wait_until_up(
    url: str, server: subprocess.Popen[bytes], log: Path, tls: Certificate | None = None
) -> None:
    """Return once the server answers `url`; fail with its log if it exits or never answers."""
    deadline = time.monotonic() + STARTUP_SECONDS
    trust = ssl.create_default_context(cafile=str(tls.cert)) if tls else None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=10, context=trust) as response:
                if response.status == 200:
                    return
        # Refused while gunicorn binds; a read timeout while a busy machine loads the app.
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {url} in {STARTUP_SECONDS} s:\n{log.read_text()}")


@dataclass(frozen=True)
class Certificate:
    """A throwaway self-signed certificate for 127.0.0.1 and its private key."""

    cert: Path
    key: Path

    @classmethod
    def make(cls, folder: Path) -> Certificate:
        """Write a new certificate for 127.0.0.1 and localhost into `folder`, with openssl."""
        made = cls(folder / "cert.pem", folder / "key.pem")
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
                *("-keyout", str(made.key), "-out", str(made.cert), "-subj", "/CN=127.0.0.1"),
                *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
            ],
            check=True,
            capture_output=True,
        )
        return made


@contextmanager
def gunicorn_site(
    folder: Path, settings: dict[str, object], port: int, tls: Certificate | None = None
) -> Iterator[str]:
    """Serve `wsgi:app` with these settings under gunicorn on `port`; yield its address.

    With `tls`, gunicorn itself speaks HTTPS with that certificate.
    """
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    log = folder / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"]
    if tls:
        command += ["--certfile", str(tls.cert), "--keyfile", str(tls.key)]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=server_environment(settings, port),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(url + "/", server, log, tls)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def server_environment(settings: dict[str, object], port: int) -> dict[str, str]:
    """Return the environment for gunicorn: ours, without the developer's PORTAL_* settings."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environ |= {f"PORTAL_{name}": str(value) for name, value in settings.items()}
    environ |= {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESS_LOG": "",
    }
    return environ


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Return the portal running under gunicorn on 127.0.0.1, sending mail to a test server."""
    folder = tmp_path_factory.mktemp("browser-site")
    port = free_port()
    mailbox = Mailbox()
    settings: dict[str, object] = {
        "DATABASE_URL": f"sqlite:///{folder / 'portal.sqlite3'}",
        "INDEX_DIR": str(folder / "index"),
        "SECRET_KEY": SECRET_KEY,
        "EDITIONS_PER_PAGE": EDITIONS_PER_PAGE,
        "BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": mailbox.port,
        "SMTP_TLS": "none",
        "MAIL_DIR": str(folder / "mail"),
        "MAIL_FROM": "PRODUCTHEAD <newsletter@example.test>",
        "SIGNUP_MIN_SECONDS": 0,
        "SIGNUP_RATE_LIMIT": "1000 per minute",
    }
    prepare_database(folder, settings)
    mailbox.start()
    try:
        with gunicorn_site(folder, settings, port) as url:
            yield Site(url, mailbox)
    finally:
        mailbox.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Return a started Playwright driver."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Return Debian's Chromium, headless, launched by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it with apt when run as root")
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def javascript(request: pytest.FixtureRequest) -> bool:
    """Run a journey twice: with JavaScript on, and off."""
    enabled: bool = request.param
    return enabled


@contextmanager
def browser_context(browser: Browser, site: Site, javascript: bool) -> Iterator[BrowserContext]:
    """Open a fresh browser context on `site` (accepting its self-signed certificate)."""
    made = browser.new_context(
        base_url=site.url, java_script_enabled=javascript, ignore_https_errors=True
    )
    made.set_default_timeout(15_000)
    yield made
    made.close()


@pytest.fixture
def context(browser: Browser, site: Site, javascript: bool) -> Iterator[BrowserContext]:
    """Return a fresh browser context on the site, with JavaScript on or off."""
    with browser_context(browser, site, javascript) as made:
        yield made


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """Return a new page in the context."""
    return context.new_page()


@pytest.fixture(scope="session")
def audit_site(site: Site, tmp_path_factory: pytest.TempPathFactory) -> AuditSite:
    """Return every page type of the site, for the axe and vnu audits."""
    return AuditSite.build(site, SECRET_KEY, tmp_path_factory.mktemp("audit"))
