"""Rate limits per client, counted by the `limits` library, keyed by IPv4 address or IPv6 /64.

Counters live where PORTAL_RATELIMIT_STORAGE_URI says: `memory://` counts in each worker
process (ProcessCounters, below), `redis://host:6379` in one store every worker and host
shares. A view declares its limit with `@limit_per_client`, which counts the request (one
increment per fixed window) before the view runs; a client over the limit gets RateLimited,
a 429 with `Retry-After` (views/errors.py renders it). A store that is down lets requests
through, logged.

Flask-Limiter did this until session 7 (docs/search-speed.md, "Repeated searches"): its
hooks on every request, its decorator and its bookkeeping cost more than a third of a kept
search answer. The counting is the same `limits` calls it made, under the same keys.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

_EXTENSION = "portal.limits"
# An IPv6 client usually holds a whole /64 (RFC 4291's interface identifiers; SLAAC privacy
# addresses change within it at will), so it is counted as one client, as an IPv4 address is.
IPV6_CLIENT_PREFIX = 64

F = TypeVar("F", bound=Callable[..., Any])


@functools.lru_cache(maxsize=4096)
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


class RateLimited(TooManyRequests):
    """A client over one of its limits; `retry_after` says in how many seconds it may ask again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


@dataclass(frozen=True)
class Counters:
    """An app's rate-limit counters: the store (shared with the sign-up form notes), and the
    fixed-window counting over it."""

    storage: Storage
    strategy: FixedWindowRateLimiter


def init_app(app: Flask) -> None:
    """Open the app's counters where RATELIMIT_STORAGE_URI says (a new app counts afresh)."""
    storage = _open_storage(str(app.config["RATELIMIT_STORAGE_URI"]))
    app.extensions[_EXTENSION] = Counters(storage, FixedWindowRateLimiter(storage))
    if app.config["ENV"] == "production" and limiter_storage_is_per_process(app):
        log.warning(
            "PORTAL_RATELIMIT_STORAGE_URI is %s: rate limits and used forms are counted in "
            "each worker process, so N workers allow N times the limit; set a shared store "
            "such as redis://host:6379 (see the Deployment section of docs/operations.md)",
            app.config["RATELIMIT_STORAGE_URI"],
        )


def _open_storage(uri: str) -> Storage:
    """Return the store a storage URI names: ProcessCounters for memory://, else limits' own."""
    if uri.startswith("memory://"):
        return ProcessCounters()
    # wrap_exceptions: whatever the store's client raises comes as limits' StorageError.
    storage = storage_from_string(uri, wrap_exceptions=True)
    if not isinstance(storage, Storage):
        raise ValueError(f"RATELIMIT_STORAGE_URI {uri} is an asyncio store: use redis://")
    return storage


def limiter_storage_is_per_process(app: Flask) -> bool:
    """Return whether the rate limiter counts in each process's memory (memory://)."""
    return str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://")


def get_limiter() -> Counters:
    """Return this app's rate-limit counters."""
    counters: Counters = current_app.extensions[_EXTENSION]
    return counters


def limit_per_client(setting: str, scope: str) -> Callable[[F], F]:
    """Declare at a view that it shares with its `scope` a per-client limit read from `setting`."""

    def declare(view: F) -> F:
        @functools.wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            count_request(str(current_app.config[setting]), scope)
            return view(*args, **kwargs)

        return cast(F, limited)

    return declare


def count_request(limit: str, scope: str) -> None:
    """Count this request against its client's `limit` in `scope`; raise RateLimited when over."""
    counting = get_limiter().strategy
    client = client_key(request.remote_addr or "127.0.0.1")
    try:
        for item in _parsed(limit):
            if not counting.hit(item, client, scope):
                log.info("rate limit %s exceeded by %s in %s", item, client, scope)
                reset_at = counting.get_window_stats(item, client, scope).reset_time
                raise RateLimited(max(1, math.ceil(reset_at - time.time())))
    except StorageError:
        log.exception("rate limit storage unavailable: the request goes through unchecked")


@functools.lru_cache(maxsize=64)
def _parsed(limit: str) -> tuple[RateLimitItem, ...]:
    """Return the limits of a setting ("240 per minute", "10/second; 500/hour"), shortest first."""
    return tuple(sorted(parse_many(limit)))


class ProcessCounters(Storage):
    """Counters that expire, in this process's memory: the store of memory://.

    limits' own MemoryStorage drops expired counters from a `threading.Timer` that it starts
    again, 10 ms later, on the first increment after the last one ran: under load, a new
    thread every few requests, which cost more than all the rest of the counting. Here a
    counter read after its window ended counts from zero, and the counters of clients gone
    quiet are swept out by an increment at most once every SWEEP_SECONDS.
    """

    SWEEP_SECONDS = 10.0

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._expiries: dict[str, float] = {}  # the clock's time each counter ends
        self._lock = threading.Lock()
        self._swept_at = clock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError  # nothing here raises a store's error

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to a counter, started afresh for `expiry` seconds if it had ended."""
        now = self._clock()
        with self._lock:
            if now - self._swept_at >= self.SWEEP_SECONDS:
                self._sweep(now)
            if self._expiries.get(key, 0.0) <= now:
                self._counts[key] = 0
                self._expiries[key] = now + expiry
            self._counts[key] += amount
            return self._counts[key]

    def get(self, key: str) -> int:
        """Return a counter's value; 0 once its window has ended."""
        with self._lock:
            if self._expiries.get(key, 0.0) <= self._clock():
                return 0
            return self._counts[key]

    def get_expiry(self, key: str) -> float:
        """Return when a counter's window ends (now for a counter that has ended)."""
        now = self._clock()
        with self._lock:
            return max(now, self._expiries.get(key, now))

    def check(self) -> bool:
        """Return True: memory is always there."""
        return True

    def reset(self) -> int:
        """Forget every counter; return how many there were."""
        with self._lock:
            count = len(self._counts)
            self._counts.clear()
            self._expiries.clear()
            return count

    def clear(self, key: str) -> None:
        """Forget one counter."""
        with self._lock:
            self._counts.pop(key, None)
            self._expiries.pop(key, None)

    def __len__(self) -> int:
        """Return how many counters are kept, ended ones not yet swept out included."""
        return len(self._counts)

    def _sweep(self, now: float) -> None:
        ended = [key for key, ends in self._expiries.items() if ends <= now]
        for key in ended:
            del self._counts[key], self._expiries[key]
        self._swept_at = now
