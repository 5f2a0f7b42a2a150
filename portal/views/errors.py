"""Error pages in the site's layout, for every status and for unexpected failures."""

from __future__ import annotations

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from portal.db import OUTAGE, database_unavailable, get_session
from portal.limits import RateLimited
from portal.logs import private_logger
from portal.queries import archive

log = private_logger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    404: "There is no page at this address. It may have moved, or the address may be mistyped.",
    405: "This page cannot be used that way.",
    413: "That was more than this page accepts. Please shorten what you typed and send it again.",
    429: "Too many requests came from your network in a short time. Please wait a little "
    "and try again.",
    500: "Something went wrong on our side. Please try again in a moment.",
    503: "The archive is out of reach for a moment. Please try again in a minute.",
}
# What a client is asked to wait when the database is out of reach, in seconds.
DATABASE_RETRY_AFTER = 30


def init_app(app: Flask) -> None:
    """Render every HTTP error, and any unexpected exception, as a page of the site."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(404, old_address_or_404)
    app.register_error_handler(RateLimited, rate_limited)
    # Any other exception: a 503 if it means the database is out of reach (SQLAlchemy's
    # errors, a full pool, or the PostgreSQL driver's own, which is imported only once an
    # engine needs it and so cannot be registered by class), else a 500.
    app.register_error_handler(Exception, _database_error)


def render_error(error: HTTPException) -> tuple[str, int]:
    """Return the error page for an HTTP error."""
    code = error.code or 500
    message = MESSAGES.get(code, error.description or "")
    page = render_template("errors/error.html", code=code, name=error.name, message=message)
    return page, code


def old_address_or_404(error: HTTPException) -> ResponseReturnValue:
    """Answer an edition's old WordPress address (permalink path, or its /amp/) with a 301."""
    if request.method in ("GET", "HEAD"):
        try:
            slug = archive.slug_for_old_path(get_session(), request.path)
        except SQLAlchemyError:
            slug = None
        if slug is not None:
            return redirect(url_for("archive.edition", slug=slug), 301)
    return render_error(error)


def rate_limited(error: RateLimited) -> Response:
    """Answer a client over its rate limit: 429 with Retry-After, JSON under /api/."""
    if request.path.startswith("/api/"):
        response = jsonify(error=MESSAGES[429], status=429)
        response.status_code = 429
    else:
        page, code = render_error(error)
        response = Response(page, code, mimetype="text/html")
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def unavailable_response() -> Response:
    """Return the 503 answer for a database out of reach: JSON under /api/, a page elsewhere."""
    if request.path.startswith("/api/"):
        response = jsonify(error=MESSAGES[503], status=503)
        response.status_code = 503
    else:
        page, code = render_error(ServiceUnavailable())
        response = Response(page, code, mimetype="text/html")
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def _database_error(error: Exception) -> Response | tuple[str, int]:
    if not database_unavailable(error):
        return _unexpected(error)
    OUTAGE.failed(error)
    return unavailable_response()


def _unexpected(error: Exception) -> tuple[str, int]:
    log.exception("unexpected error while serving a request", exc_info=error)
    return render_error(InternalServerError())
