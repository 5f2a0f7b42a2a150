"""Error pages in the site's layout, for every status and for unexpected failures."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    404: "There is no page at this address. It may have moved, or the address may be mistyped.",
    405: "This page cannot be used that way.",
    413: "That was more than this page accepts. Please shorten what you typed and send it again.",
    429: "Too many requests came from your network in a short time. Please wait a little "
    "and try again.",
    500: "Something went wrong on our side. Please try again in a moment.",
}


def init_app(app: Flask) -> None:
    """Render every HTTP error, and any unexpected exception, as a page of the site."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, _unexpected)


def render_error(error: HTTPException) -> tuple[str, int]:
    """Return the error page for an HTTP error."""
    code = error.code or 500
    message = MESSAGES.get(code, error.description or "")
    page = render_template("errors/error.html", code=code, name=error.name, message=message)
    return page, code


def _unexpected(error: Exception) -> tuple[str, int]:
    log.exception("unexpected error while serving a request", exc_info=error)
    return render_error(InternalServerError())
