"""Fetch a site's feed with a conditional GET, for `flask editions sync`."""

from __future__ import annotations

import datetime as dt
import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.editions.records import DocumentOutcome
from portal.models import FeedState

__all__ = [
    "FeedError",
    "FeedState",
    "Fetched",
    "feed_state",
    "fetch",
    "page_url",
    "refused_whole",
    "remember",
]

# The whole fetch, connection to last byte: a server that drips its answer is given up on.
TIMEOUT = 20.0
MAX_BYTES = 16 * 1024 * 1024  # as for feed files read from disk
CHUNK = 64 * 1024


class FeedError(Exception):
    """The feed could not be fetched: network, HTTP status, timeout or size."""


@dataclass
class Fetched:
    """One feed response: body (None when 304 or 404) and its validators."""

    status: int
    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None


def page_url(url: str, page: int) -> str:
    """Return WordPress's `?paged=N` address of a feed's page N (page 1 is the URL itself)."""
    if page == 1:
        return url
    parts = urllib.parse.urlsplit(url)
    query = [*urllib.parse.parse_qsl(parts.query), ("paged", str(page))]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def fetch(
    url: str, state: FeedState | None, *, cap: int = MAX_BYTES, timeout: float = TIMEOUT
) -> Fetched:
    """GET url, sending the remembered validators; a 304 or 404 comes back with no body.

    Raise FeedError when the answer is an HTTP error, larger than `cap` bytes, or not all
    there within `timeout` seconds.
    """
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        # urllib would also open file:// and ftp:// addresses; a feed is fetched over HTTP(S).
        raise FeedError("the feed address must start with http:// or https://")
    request = urllib.request.Request(url, headers={"User-Agent": "producthead-portal-sync"})
    if state and state.etag:
        request.add_header("If-None-Match", state.etag)
    if state and state.last_modified:
        request.add_header("If-Modified-Since", state.last_modified)
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = _read_within(response, cap, deadline)
            headers = response.headers
            status = response.status
    except urllib.error.HTTPError as error:
        if error.code in (304, 404):
            return Fetched(error.code, None)
        raise FeedError(f"HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise FeedError(f"cannot fetch: {reason}") from None
    return Fetched(status, body, headers.get("ETag"), headers.get("Last-Modified"))


def _read_within(response: http.client.HTTPResponse, cap: int, deadline: float) -> bytes:
    """Read the body a chunk at a time, refusing one over `cap` bytes or past the deadline."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(CHUNK):
        size += len(chunk)
        if size > cap:
            raise FeedError(f"the feed is larger than {cap:,} bytes")
        if time.monotonic() > deadline:
            raise FeedError("the server took too long to send the feed")
        chunks.append(chunk)
    return b"".join(chunks)


def refused_whole(outcome: DocumentOutcome) -> bool:
    """Return whether a fetched feed was refused as a whole (not well-formed, too big, ...)."""
    return outcome.one_file and bool(outcome.rejected)


def feed_state(session: Session, url: str) -> FeedState | None:
    """Return what the last sync of url remembered, if any."""
    return session.scalars(select(FeedState).where(FeedState.url == url)).first()


def remember(session: Session, url: str, fetched: Fetched) -> None:
    """Store the feed's validators and when it was checked (the caller commits)."""
    state = feed_state(session, url) or FeedState(url=url)
    state.etag = fetched.etag
    state.last_modified = fetched.last_modified
    state.checked_at = dt.datetime.now(dt.UTC)
    session.add(state)
