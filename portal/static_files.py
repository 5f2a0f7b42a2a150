"""Fingerprinted static files: `url_for('static', ...)` adds `?v=<hash>`, cached for a year.

Templates keep writing plain `url_for('static', filename=...)`. A request carrying the
file's current fingerprint may be cached forever (the URL changes with the content); one
without it, or with an old one, gets a short lifetime, so a stale page never pins old CSS.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

FINGERPRINT_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"

# {file: ((mtime_ns, size), fingerprint)}: each file is hashed once, and again only when it
# changes on disk (a developer editing the stylesheet gets a new URL at once).
_FINGERPRINTS: dict[str, tuple[tuple[int, int], str]] = {}


def init_app(app: Flask) -> None:
    """Fingerprint static URLs and set the cache lifetime of static responses."""
    app.url_defaults(add_fingerprint)
    app.after_request(cache_static)


def fingerprint(filename: str) -> str | None:
    """Return the short SHA-256 of a file in the static folder (None when there is no such file)."""
    folder = current_app.static_folder
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    signature = (stat.st_mtime_ns, stat.st_size)
    known = _FINGERPRINTS.get(path)
    if known is not None and known[0] == signature:
        return known[1]
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:FINGERPRINT_LENGTH]
    except OSError:  # a folder, or gone since the stat
        return None
    _FINGERPRINTS[path] = (signature, digest)
    return digest


def add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    """Add `v=<fingerprint>` to a static URL being built, unless one was given."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    found = fingerprint(str(values["filename"]))
    if found is not None:
        values["v"] = found


def cache_static(response: Response) -> Response:
    """Let a static file with its current fingerprint be cached for a year; others briefly."""
    if request.endpoint != "static" or response.status_code not in (200, 206, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    current = fingerprint(str(filename))
    response.headers["Cache-Control"] = (
        IMMUTABLE if current is not None and request.args.get("v") == current else SHORT
    )
    response.headers.pop("Expires", None)
    return response
