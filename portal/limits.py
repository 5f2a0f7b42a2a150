"""Rate limits per client: one Flask-Limiter, keyed by IPv4 address or IPv6 /64.

Counters live where PORTAL_RATELIMIT_STORAGE_URI says: `memory://` counts in each worker
process, `redis://host:6379` in one store every worker and host shares. Only the views
that declare a limit (`@limit_per_client`) pay for the limiter's bookkeeping; a 429 answer
carries `Retry-After` (views/errors.py renders it).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, request
from flask_limiter import Limiter

log = logging.getLogger(__name__)

# An IPv6 client usually holds a whole /64 (RFC 4291's interface identifiers; SLAAC privacy
# addresses change within it at will), so it is counted as one client, as an IPv4 address is.
IPV6_CLIENT_PREFIX = 64


def client_key(address: str) -> str:
    """Return the rate-limit key of a client address: an IPv4 address, or an IPv6 /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP address (a Unix socket's peer): count it as it is
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return str(parsed)


def _request_client_key() -> str:
    return client_key(request.remote_addr or "127.0.0.1")


# The one limiter, set up for each app by `init_app` (counters where the app's
# RATELIMIT_STORAGE_URI says; a new app starts with fresh in-memory counters). The key is
# the client's address as the WSGI server (or PORTAL_PROXY_HOPS) sees it.
limiter = Limiter(_request_client_key, strategy="fixed-window", swallow_errors=True)
# The qualified names of the views `limit_per_client` limits: every other request skips the
# limiter's bookkeeping, which otherwise costs a quarter of a cached search answer.
_limited_views: set[str] = set()

F = TypeVar("F", bound=Callable[..., Any])


def limit_per_client(setting: str, scope: str) -> Callable[[F], F]:
    """Declare at a view that it shares with its `scope` a per-client limit read from `setting`."""
    shared = limiter.shared_limit(lambda: str(current_app.config[setting]), scope=scope)

    def declare(view: F) -> F:
        _limited_views.add(f"{view.__module__}.{view.__name__}")
        return cast(F, shared(view))

    return declare


def _not_limited() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return view is None or f"{view.__module__}.{view.__name__}" not in _limited_views


limiter.request_filter(_not_limited)


def init_app(app: Flask) -> None:
    """Set the limiter up for this app; the views declare their own limits."""
    # A shared store (Redis) that is down lets requests through, logged, not 500s.
    limiter.init_app(app)
    if app.config["ENV"] == "production" and limiter_storage_is_per_process(app):
        log.warning(
            "PORTAL_RATELIMIT_STORAGE_URI is %s: rate limits and used forms are counted in "
            "each worker process, so N workers allow N times the limit; set a shared store "
            "such as redis://host:6379 (see the Deployment section of docs/operations.md)",
            app.config["RATELIMIT_STORAGE_URI"],
        )


def limiter_storage_is_per_process(app: Flask) -> bool:
    """Return whether the rate limiter counts in each process's memory (memory://)."""
    return str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://")


def get_limiter() -> Limiter:
    """Return the rate limiter."""
    return limiter


def retry_after_seconds() -> int:
    """Return how long the client that just hit a rate limit should wait, in seconds."""
    breached = get_limiter().current_limit
    if breached is None:
        return 60
    # reset_at is already rounded up to the next whole second.
    return max(1, int(breached.reset_at - time.time()))
