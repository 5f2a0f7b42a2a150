"""HTTP caching of the pages made only from the archive: ETag, Last-Modified, 304s.

A page's validators come from one query (the newest edition or theme change and the
counts, `queries.content_version`), the code and templates that render it, the settings
that shape it, and its URL. A matching `If-None-Match` or `If-Modified-Since` is answered
304 before the view runs, so nothing is loaded or rendered. An import changes the
validators of every page at once: simple, and always right.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

from flask import Flask, Response, current_app, make_response, request
from flask.typing import ResponseReturnValue
from werkzeug.http import is_resource_modified

from portal import queries
from portal.db import get_session
from portal.settings import PROJECT_ROOT

P = ParamSpec("P")
_EXTENSION = "portal.caching"
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
        version = queries.content_version(get_session())
        key = f"{current_app.extensions[_EXTENSION]}|{version.token}|{request.full_path}"
        etag = hashlib.sha256(key.encode()).hexdigest()[:24]
        changed_at = version.changed_at
        if is_resource_modified(request.environ, etag=etag, last_modified=changed_at):
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
        else:
            response = Response(status=304)
        response.set_etag(etag)
        if changed_at is not None:
            response.last_modified = changed_at
        response.headers["Cache-Control"] = cache_control()
        return response

    return conditional_view
