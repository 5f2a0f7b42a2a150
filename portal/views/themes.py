"""Browsing by theme."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from portal import queries
from portal.db import get_session

bp = Blueprint("themes", __name__, url_prefix="/themes")


@bp.get("/")
def index() -> str:
    """List every theme with its description and counts."""
    return render_template("themes/index.html", themes=queries.themes_with_counts(get_session()))


@bp.get("/<slug>")
def theme(slug: str) -> str:
    """Show the editions and links tagged with one theme."""
    session = get_session()
    found = queries.get_theme(session, slug)
    if found is None:
        abort(404)
    editions = queries.theme_editions(session, found)
    links = queries.theme_links(session, found)
    return render_template("themes/theme.html", theme=found, editions=editions, links=links)
