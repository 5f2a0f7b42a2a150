"""/healthz: whether this host can serve, for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from portal.queries import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Answer the health report as JSON: 200 when the host can serve, 503 when it cannot."""
    found = health.report()
    response = jsonify(found)
    # Always asked afresh: a cached "ok" would hide an outage.
    response.headers["Cache-Control"] = "no-store"
    return response, 503 if found["status"] == "unavailable" else 200
