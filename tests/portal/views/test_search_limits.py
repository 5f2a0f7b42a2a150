"""Searches are rate limited per client, generously, with a 429 that says when to come back."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from tests.conftest import ARCHIVE, AppFactory
from tests.support.redis_server import running_redis
from tests.support.signup_helpers import free_port


@pytest.fixture
def limited(make_app: AppFactory) -> Flask:
    app = make_app(SEARCH_RATE_LIMIT="3 per minute")
    result = app.test_cli_runner().invoke(args=["editions", "import", str(ARCHIVE)])
    assert result.exit_code == 0, result.output
    return app


def test_searches_over_the_limit_get_429_with_retry_after(limited: Flask) -> None:
    client = limited.test_client()
    # The page and its JSON twin share one limit: instant search and the page are one reader.
    answers = [
        client.get("/search?q=platforms").status_code,
        client.get("/api/search?q=platforms").status_code,
        client.get("/search?q=risk&page=2").status_code,
    ]
    assert all(code in (200, 404) for code in answers)
    page = client.get("/search?q=stripe")
    assert page.status_code == 429
    assert 1 <= int(page.headers["Retry-After"]) <= 60
    assert "Too many requests" in page.text
    api = client.get("/api/search?q=stripe")
    assert api.status_code == 429 and api.json == {"error": api.json["error"], "status": 429}  # type: ignore[index]
    assert "Retry-After" in api.headers


def test_the_limit_counts_per_client_and_spares_other_pages(limited: Flask) -> None:
    client = limited.test_client()
    for _ in range(3):
        client.get("/search?q=platforms")
    assert client.get("/search?q=platforms").status_code == 429
    assert client.get("/").status_code == 200  # pages other than search are never counted
    other = limited.test_client()
    neighbour = {"REMOTE_ADDR": "192.0.2.7"}
    assert other.get("/search?q=platforms", environ_base=neighbour).status_code == 200
    # An IPv6 client is one client across its /64, whichever address it uses next.
    for n in range(3):
        other.get("/search?q=x", environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n + 1}"})
    blocked = other.get("/search?q=x", environ_base={"REMOTE_ADDR": "2001:db8:1:2::99"})
    assert blocked.status_code == 429


def test_the_default_leaves_room_for_search_as_you_type(make_app: AppFactory) -> None:
    app = make_app()
    assert app.test_cli_runner().invoke(args=["editions", "import", str(ARCHIVE)]).exit_code == 0
    client = app.test_client()
    typed = "platforms conquer the world"
    # One request per letter typed, as instant search would send without its debounce.
    codes = {client.get(f"/api/search?q={typed[:n]}").status_code for n in range(1, len(typed))}
    assert codes <= {200, 400}  # 400: a prefix that is only a common word


def test_two_hosts_counting_in_one_redis_share_the_limit(make_app: AppFactory) -> None:
    with running_redis() as redis_server:
        settings = {"SEARCH_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": redis_server.url}
        host_a, host_b = make_app(**settings), make_app(**settings)
        client = {"REMOTE_ADDR": "192.0.2.9"}
        codes = [host_a.test_client().get("/api/search?q=x", environ_base=client).status_code]
        codes += [host_b.test_client().get("/search?q=x", environ_base=client).status_code]
        codes += [host_a.test_client().get("/search?q=y", environ_base=client).status_code]
        over = host_b.test_client().get("/api/search?q=z", environ_base=client)
        # The key Flask-Limiter used before: counts survive a rolling deploy across the change.
        keys = redis_server.keys("*LIMITER*")
    assert 429 not in codes and over.status_code == 429, codes
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert keys == ["LIMITS:LIMITER/192.0.2.9/search/3/1/minute"]


def test_a_store_that_is_down_lets_searches_through_with_a_log_line(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    nothing_listens = f"redis://127.0.0.1:{free_port()}"
    app = make_app(SEARCH_RATE_LIMIT="1 per minute", RATELIMIT_STORAGE_URI=nothing_listens)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="portal.limits"):
        codes = [client.get(f"/api/search?q=word{n}").status_code for n in range(3)]
    assert 429 not in codes
    assert caplog.text.count("rate limit storage unavailable") == 3
