"""HTTP caching of the pages made only from the archive: ETag, Last-Modified, 304s.

A page's validators come from one query (the content revision every edition or theme
write advances, and the counts, `queries.content_version`), the code and templates that
render it, the settings that shape it, and its URL, script root and scheme. A matching
`If-None-Match` or `If-Modified-Since` is answered 304 before the view runs, so nothing is
loaded or rendered. An import changes the validators of every page at once: simple, and
always right. Each worker also keeps the pages it rendered, by ETag (PAGE_CACHE_MB), and
asks the database for the content version at most once every CONTENT_CHECK_SECONDS, so a
page asked for again costs no query at all, and an import by another process shows at
most that late. Keeping the search index current is not this module's business: it only
asks whether the content changed (`portal.search` catches its index up by itself).
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec

from flask import Flask, Response, current_app, make_response, request
from flask.typing import ResponseReturnValue
from werkzeug.http import is_resource_modified, parse_accept_header

from portal.db import get_session, writes_committed
from portal.queries import archive
from portal.settings import PROJECT_ROOT

P = ParamSpec("P")
_EXTENSION = "portal.caching"
_CHECKED = "portal.caching.checked"
# Settings that change what a page says, so a changed value changes every ETag.
_SHAPING_SETTINGS = ("BASE_URL", "EDITIONS_PER_PAGE", "LINKS_PER_PAGE")


def init_app(app: Flask) -> None:
    """Work out once what the rendering code and settings add to every ETag."""
    shaping = "|".join(f"{name}={app.config[name]}" for name in _SHAPING_SETTINGS)
    app.extensions[_EXTENSION] = f"{code_version(PROJECT_ROOT)}|{shaping}"


@functools.cache
def code_version(root: Path) -> str:
    """Return a digest of the portal's code, templates and static files (once per process)."""
    digest = hashlib.sha256()
    for folder in ("portal", "templates", "static"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class _Rendered:
    """A kept page, gzipped: a third of the memory, sent as it is to a client that accepts
    gzip (every browser does), unpacked for one that does not (0.05 ms)."""

    compressed: bytes
    content_type: str | None

    def body(self) -> bytes:
        return zlib.decompress(self.compressed, wbits=_GZIP)

    def response(self, gzipped: bool) -> Response:
        # The headers as a list: set through werkzeug's `vary.add` and `content_encoding`,
        # which parse and write their header again each time, they cost 11 us, not 6.
        headers = [("Content-Type", self.content_type)] if self.content_type else []
        if gzipped:
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Vary", "Accept-Encoding"))
        return Response(self.compressed if gzipped else self.body(), headers=headers)


_GZIP = 31  # zlib's window bits for the gzip format


def _keep(key: str, body: bytes, content_type: str | None) -> _Rendered:
    """Keep a rendered page under `key` (unless larger than the whole budget); return it."""
    limit = int(current_app.config["PAGE_CACHE_MB"]) * 1_000_000
    rendered = _Rendered(zlib.compress(body, 1, wbits=_GZIP), content_type)
    _rendered.keep(key, rendered, limit)
    return rendered


def kept_response(key: str, render: Callable[[], str], content_type: str) -> Response:
    """Return a response of the body `render()` makes, kept by this worker under `key` (which
    must name everything the body is made from but the archive's content and the code, which
    this adds), for answers that are not `cached_page`s, such as search results. A client
    that accepts gzip gets the kept bytes as they are."""
    if current_app.debug:
        return Response(render(), content_type=content_type)
    full = _kept_key(key)
    kept = _rendered.get(full)
    if kept is None:
        kept = _keep(full, render().encode(), content_type)
    return kept.response(accepts_gzip())


def accepts_gzip() -> bool:
    """Return whether the client accepts gzip, as werkzeug reads its Accept-Encoding."""
    return _accepts_gzip(request.environ.get("HTTP_ACCEPT_ENCODING", ""))


@functools.lru_cache(maxsize=64)
def _accepts_gzip(accept_encoding: str) -> bool:
    # Kept per header value (8 us each to parse): browsers send a handful of them.
    return parse_accept_header(accept_encoding)["gzip"] > 0


def _kept_key(key: str) -> str:
    """Return the key a page is kept under: `key`, the code, content version and request root."""
    prefix = f"{current_app.extensions[_EXTENSION]}|{content_version().token}|{_request_root()}|"
    return hashlib.sha256((prefix + key).encode()).hexdigest()[:24]


class _RenderedPages:
    """Pages rendered by this worker, by ETag, least recently used first out. An ETag names
    the content version, code and URL, so a kept page is never stale: an import changes
    every ETag and the old pages simply age out."""

    def __init__(self) -> None:
        self._pages: OrderedDict[str, _Rendered] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, etag: str) -> _Rendered | None:
        with self._lock:
            page = self._pages.get(etag)
            if page is not None:
                self._pages.move_to_end(etag)
            return page

    def keep(self, etag: str, page: _Rendered, limit: int) -> None:
        with self._lock:
            if etag in self._pages or len(page.compressed) > limit:
                return
            self._pages[etag] = page
            self._size += len(page.compressed)
            while self._size > limit:
                _etag, dropped = self._pages.popitem(last=False)
                self._size -= len(dropped.compressed)


_rendered = _RenderedPages()


@dataclass
class _Checked:
    version: archive.ContentVersion
    at: float
    writes: int


def content_version() -> archive.ContentVersion:
    """Return the archive's content version, asking the database at most once every
    CONTENT_CHECK_SECONDS per worker (and at once after this process's own writes)."""
    checked: _Checked | None = current_app.extensions.get(_CHECKED)
    now, writes = time.monotonic(), writes_committed()
    interval = float(current_app.config["CONTENT_CHECK_SECONDS"])
    if checked is None or checked.writes != writes or now - checked.at >= interval:
        checked = _Checked(archive.content_version(get_session()), now, writes)
        current_app.extensions[_CHECKED] = checked
    return checked.version


def _request_root() -> str:
    """Return what of the request, besides its path, changes the links on a page.

    Links are relative to the script root (SCRIPT_NAME), so a page made under another root
    is another page; the scheme too, to be safe. The host is left out: every absolute link
    is made from BASE_URL (one of the settings in every key), and a key with the Host header
    would let any client fill the cache with copies.
    """
    return f"{request.scheme}|{request.script_root}"


def cache_control() -> str:
    """Return the Cache-Control of a cacheable page (PAGE_MAX_AGE; 0 asks every time)."""
    max_age = int(current_app.config["PAGE_MAX_AGE"])
    return f"public, max-age={max_age}" if max_age else "public, no-cache"


def cached_page(view: Callable[P, ResponseReturnValue]) -> Callable[P, Response]:
    """Give a view's 200 answers validators and Cache-Control; answer 304 without running it."""

    @functools.wraps(view)
    def conditional_view(*args: P.args, **kwargs: P.kwargs) -> Response:
        if current_app.debug:
            # The debugger reloads templates without a restart; the ETag's code digest,
            # worked out once, would then promise an old page. Serve it afresh instead.
            return make_response(view(*args, **kwargs))
        version = content_version()
        where = f"{_request_root()}|{request.full_path}"
        key = f"{current_app.extensions[_EXTENSION]}|{version.token}|{where}"
        page = hashlib.sha256(key.encode()).hexdigest()[:24]
        gzipped = accepts_gzip()
        # The gzipped bytes are another representation of the page, so another strong ETag.
        etag = f"{page}-gzip" if gzipped else page
        changed_at = version.changed_at
        if not is_resource_modified(request.environ, etag=etag, last_modified=changed_at):
            response = Response(status=304)
        elif (kept := _rendered.get(page)) is not None:
            response = kept.response(gzipped)
        else:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            kept = _keep(page, response.get_data(), response.content_type)
            if gzipped:
                response = kept.response(gzipped)
        response.set_etag(etag)
        response.vary.add("Accept-Encoding")
        if changed_at is not None:
            response.last_modified = changed_at
        response.headers["Cache-Control"] = cache_control()
        return response

    return conditional_view
