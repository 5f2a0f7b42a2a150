"""HTTPS (HSTS, Secure cookies), proxy headers trusted only as configured, and production start-up."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from portal import create_app
from portal.settings import PROJECT_ROOT, ConfigurationError
from tests.conftest import AppFactory
from tests.support.signup_helpers import free_port, hidden_fields

PATIENCE = 60  # seconds for gunicorn to start or give up on a shared, loaded machine


def _proxied_app(make_app: AppFactory, tmp_path: Path, hops: int) -> Flask:
    """Return an app behind `hops` trusted proxies, allowing one sign-up per client address."""
    app = make_app(
        PROXY_HOPS=hops,
        MAIL_DIR=str(tmp_path / "mail"),
        SIGNUP_MIN_SECONDS=0,
        SIGNUP_RATE_LIMIT="1 per hour",
    )

    def whoami() -> str:
        return f"{request.remote_addr} {request.scheme} {request.host}"

    app.add_url_rule("/whoami", "whoami", whoami)
    return app


def _cookie(client: FlaskClient, path: str = "/subscribe", **options: object) -> str:
    response = client.get(path, **options)  # type: ignore[arg-type]
    return response.headers["Set-Cookie"]


def test_plain_http_keeps_working_without_hsts_or_secure_cookies(client: FlaskClient) -> None:
    response = client.get("/subscribe")
    assert "Strict-Transport-Security" not in response.headers
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_https_adds_hsts_and_secure_cookies(client: FlaskClient) -> None:
    response = client.get("/subscribe", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in response.headers["Set-Cookie"]


def test_session_cookie_secure_can_be_forced(make_app: AppFactory) -> None:
    app = make_app(SESSION_COOKIE_SECURE=True)
    assert "Secure" in _cookie(app.test_client())


FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "portal.example",
}


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    make_app: AppFactory, tmp_path: Path
) -> None:
    client = _proxied_app(make_app, tmp_path, 0).test_client()
    environ = {"REMOTE_ADDR": "10.0.0.1"}
    response = client.get("/whoami", headers=FORWARDED, environ_base=environ)
    assert response.text == "10.0.0.1 http localhost"
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in _cookie(client, headers=FORWARDED)


def test_one_trusted_proxy_is_believed(make_app: AppFactory, tmp_path: Path) -> None:
    client = _proxied_app(make_app, tmp_path, 1).test_client()
    environ = {"REMOTE_ADDR": "10.0.0.1"}
    response = client.get("/whoami", headers=FORWARDED, environ_base=environ)
    assert response.text == "203.0.113.9 https portal.example"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in _cookie(client, headers=FORWARDED)


def test_only_the_configured_number_of_hops_is_believed(
    make_app: AppFactory, tmp_path: Path
) -> None:
    client = _proxied_app(make_app, tmp_path, 1).test_client()
    # A client's own X-Forwarded-For comes first; the proxy appends the address it saw.
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    assert client.get("/whoami", headers=headers).text.startswith("203.0.113.9 ")


def _sign_up(client: FlaskClient, forwarded_for: str, **options: object) -> int:
    headers = {"X-Forwarded-For": forwarded_for}
    page = client.get("/subscribe", headers=headers).text
    data = hidden_fields(page) | {"email": f"reader-{forwarded_for}@example.com"}
    response = client.post("/subscribe", data=data, headers=headers, **options)  # type: ignore[arg-type]
    return response.status_code


def test_the_rate_limit_counts_the_real_address_without_trusted_proxies(
    make_app: AppFactory, tmp_path: Path
) -> None:
    client = _proxied_app(make_app, tmp_path, 0).test_client()
    assert _sign_up(client, "192.0.2.1") == 303
    assert _sign_up(client, "192.0.2.2") == 429  # a forged header buys no new allowance


def test_the_rate_limit_counts_the_forwarded_address_behind_a_trusted_proxy(
    make_app: AppFactory, tmp_path: Path
) -> None:
    client = _proxied_app(make_app, tmp_path, 1).test_client()
    assert _sign_up(client, "192.0.2.1") == 303
    assert _sign_up(client, "192.0.2.2") == 303
    assert _sign_up(client, "192.0.2.1") == 429


def test_a_sign_up_over_https_behind_a_proxy_passes_the_referer_check(
    make_app: AppFactory, tmp_path: Path
) -> None:
    # Flask-WTF wants a same-origin Referer on HTTPS posts; strict-origin-when-cross-origin
    # sends the full address for same-origin requests, which the proxy's host must match.
    client = _proxied_app(make_app, tmp_path, 1).test_client()
    page = client.get("/subscribe", headers=FORWARDED).text
    data = hidden_fields(page) | {"email": "reader@example.com"}
    post = {"data": data, "headers": FORWARDED}
    assert client.post("/subscribe", **post).status_code == 400  # type: ignore[arg-type]
    referer = FORWARDED | {"Referer": "https://portal.example/subscribe"}
    assert client.post("/subscribe", data=data, headers=referer).status_code == 303


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"ENV": "production"}, "PORTAL_SECRET_KEY is not set"),
        ({"ENV": "staging"}, "PORTAL_ENV must be one of development, production"),
        ({"PROXY_HOPS": -1}, "PORTAL_PROXY_HOPS must be 0 or more"),
        ({"PAGE_MAX_AGE": -5}, "PORTAL_PAGE_MAX_AGE must be 0 or more"),
    ],
)
def test_unsafe_settings_stop_start_up_with_a_clear_message(
    tmp_path: Path, config: dict[str, object], message: str
) -> None:
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SECRET_KEY": None}
    with pytest.raises(ConfigurationError, match=message):
        create_app(settings | config)


@pytest.mark.sqlite_only(reason="reads settings from the environment; no database is opened")
def test_production_from_the_environment_needs_a_secret_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("portal.settings.PROJECT_ROOT", tmp_path)
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigurationError, match="PORTAL_SECRET_KEY is not set"):
        create_app()
    assert not (tmp_path / "instance" / "secret_key").exists()
    monkeypatch.setenv("PORTAL_SECRET_KEY", "a-fixed-production-secret")
    assert create_app().config["SECRET_KEY"] == "a-fixed-production-secret"


def _gunicorn(tmp_path: Path, port: int, **settings: str) -> subprocess.Popen[bytes]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PORTAL_", "GUNICORN_", "FLASK_"))
    }
    env |= {
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_INDEX_DIR": str(tmp_path / "index"),
        "PORTAL_MAIL_DIR": str(tmp_path / "mail"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": "",
    }
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    command += ["--no-control-socket", "wsgi:app"]
    return subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env | settings,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.sqlite_only(reason="starts gunicorn on a SQLite file")
def test_gunicorn_in_production_without_a_secret_key_exits_with_the_message(
    tmp_path: Path,
) -> None:
    process = _gunicorn(tmp_path, free_port(), PORTAL_ENV="production")
    try:
        _out, err = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    assert "PORTAL_SECRET_KEY is not set" in err.decode()


@pytest.fixture
def production_server(migrated_database: Path, tmp_path: Path) -> Iterator[str]:
    """Return the address of gunicorn serving in production behind one trusted proxy."""
    (tmp_path / "portal.sqlite3").write_bytes(migrated_database.read_bytes())
    port = free_port()
    process = _gunicorn(
        tmp_path,
        port,
        PORTAL_ENV="production",
        PORTAL_SECRET_KEY="gunicorn-test-secret",
        PORTAL_PROXY_HOPS="1",
    )
    try:
        _wait_until_answering(f"127.0.0.1:{port}", process)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.communicate(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _wait_until_answering(host: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}: {process.communicate()}")
        try:
            _get(host, "/robots.txt")
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {PATIENCE} s")


def _get(host: str, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(host, timeout=PATIENCE)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


@pytest.mark.sqlite_only(reason="starts gunicorn on a SQLite file")
def test_gunicorn_behind_a_trusted_proxy_sends_hsts_only_for_https(
    production_server: str,
) -> None:
    plain = _get(production_server, "/robots.txt")
    assert plain.status == 200 and plain.getheader("Strict-Transport-Security") is None
    assert plain.getheader("X-Frame-Options") == "DENY"
    secure = _get(production_server, "/subscribe", {"X-Forwarded-Proto": "https"})
    assert secure.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert "Secure" in (secure.getheader("Set-Cookie") or "")
    # No database schema and no index yet: the host says it cannot serve.
    health = _get(production_server, "/healthz")
    assert health.status == 503 and health.getheader("Cache-Control") == "no-store"
