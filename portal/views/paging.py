"""Reading the `page` parameter the same way on every paginated page."""

from __future__ import annotations

from flask import abort, request


def page_number() -> int:
    """Return the requested page (1 when absent); anything but a positive whole number is a 404."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        abort(404)
    return int(raw)
