"""Rate limits per client: one Flask-Limiter per app, keyed by IPv4 address or IPv6 /64.

Counters live where PORTAL_RATELIMIT_STORAGE_URI says: `memory://` counts in each worker
process, `redis://host:6379` in one store every worker and host shares. Only the endpoints
a blueprint limits (`limit_endpoints`) pay for the limiter's bookkeeping; a 429 answer
carries `Retry-After` (views/errors.py renders it).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Iterable
from typing import cast

from flask import Flask, current_app, request
from flask.typing import RouteCallable
from flask_limiter import Limiter

log = logging.getLogger(__name__)

_LIMITER = "portal.limiter"
_LIMITED = "portal.limited_endpoints"
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


def init_app(app: Flask) -> None:
    """Set up the app's rate limiter; blueprints then limit their endpoints."""
    # One limiter per app (not a module global), so apps made by tests share no counters.
    # The key is the client's address as the WSGI server (or PORTAL_PROXY_HOPS) sees it.
    limiter = Limiter(
        _request_client_key,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        strategy="fixed-window",
        # A shared store (Redis) that is down lets requests through, logged, not 500s.
        swallow_errors=True,
    )
    # Only limited endpoints are counted; every other request skips the limiter's
    # bookkeeping, which otherwise costs a quarter of a cached search answer.
    limited: set[str] = set()
    limiter.request_filter(lambda: request.endpoint not in limited)
    app.extensions[_LIMITER], app.extensions[_LIMITED] = limiter, limited
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


def limit_endpoints(app: Flask, endpoints: Iterable[str], limit: str, scope: str) -> None:
    """Limit these endpoints together to `limit` per client ("5 per minute", ...)."""
    shared = get_limiter(app).shared_limit(limit, scope=scope)
    for endpoint in endpoints:
        # Flask-Limiter checks a decorated limit in the view's wrapper, so swap it in.
        app.view_functions[endpoint] = cast(RouteCallable, shared(app.view_functions[endpoint]))
        app.extensions[_LIMITED].add(endpoint)


def get_limiter(app: Flask | None = None) -> Limiter:
    """Return the app's rate limiter (the current app's by default)."""
    limiter: Limiter = (app or current_app).extensions[_LIMITER]
    return limiter


def retry_after_seconds() -> int:
    """Return how long the client that just hit a rate limit should wait, in seconds."""
    breached = get_limiter().current_limit
    if breached is None:
        return 60
    # reset_at is already rounded up to the next whole second.
    return max(1, int(breached.reset_at - time.time()))
