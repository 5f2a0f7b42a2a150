"""Browsing by theme."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from portal.caching import cached_page
from portal.db import get_session
from portal.models import Theme
from portal.queries import archive
from portal.queries.themes import theme_page, theme_years
from portal.views.paging import page_number

bp = Blueprint("themes", __name__, url_prefix="/themes")


@bp.get("/")
@cached_page
def index() -> str:
    """List every theme with its description and counts."""
    return render_template("themes/index.html", themes=archive.themes_with_counts(get_session()))


def get_theme_or_404(slug: str) -> Theme:
    """Return the theme with this slug, or answer 404."""
    found = archive.get_theme(get_session(), slug)
    if found is None:
        abort(404)
    return found


@bp.get("/<slug>")
@cached_page
def theme(slug: str) -> str:
    """Show one page of the editions and links tagged with a theme, newest first."""
    found = get_theme_or_404(slug)
    session = get_session()
    per_page = current_app.config["EDITIONS_PER_PAGE"]
    page = theme_page(session, found, page_number(), per_page)
    if page.number > page.pages:
        abort(404)
    years = theme_years(session, found)
    return render_template("themes/theme.html", theme=found, page=page, years=years)
