"""The home page, the archive by date, and edition pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from portal.caching import cached_page, content_version
from portal.db import get_session
from portal.queries import archive, related
from portal.search import highlight_terms
from portal.views.paging import page_number

bp = Blueprint("archive", __name__)

RECENT_ON_HOME = 6


@bp.get("/")
@cached_page
def home() -> str:
    """Show the latest edition and the ones just before it."""
    editions = archive.latest_editions(get_session(), RECENT_ON_HOME + 1)
    latest = editions[0] if editions else None
    return render_template("archive/home.html", latest=latest, recent=editions[1:])


@bp.get("/editions/")
@cached_page
def editions() -> str:
    """List every edition, newest first, grouped by year and month."""
    return _archive_page(year=None, month=None)


@bp.get("/editions/<int(fixed_digits=4):year>/")
@cached_page
def editions_of_year(year: int) -> str:
    """List the editions of one year."""
    if year < 1:
        abort(404)
    return _archive_page(year=year, month=None)


@bp.get("/editions/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/")
@cached_page
def editions_of_month(year: int, month: int) -> str:
    """List the editions of one month."""
    if year < 1 or not 1 <= month <= 12:
        abort(404)
    return _archive_page(year=year, month=month)


def _archive_page(year: int | None, month: int | None) -> str:
    session = get_session()
    per_page = current_app.config["EDITIONS_PER_PAGE"]
    page = archive.archive_page(session, page_number(), per_page, year, month)
    if page.number > page.pages or (year is not None and page.total == 0):
        abort(404)
    years = archive.archive_years(session)
    return render_template("archive/editions.html", page=page, year=year, month=month, years=years)


@bp.get("/editions/<slug>")
@cached_page
def edition(slug: str) -> str:
    """Show one edition in full, marking the words of `?hl=` (a search's words) in its text."""
    session = get_session()
    found = archive.get_edition(session, slug)
    if found is None:
        abort(404)
    newer, older = archive.neighbours(session, found)
    return render_template(
        "archive/edition.html",
        edition=found,
        newer=newer,
        older=older,
        related=related.related_editions(session, found, content_version().token),
        also_featured=related.also_featured(session, found.links),
        hl=highlight_terms(request.args.get("hl", "")),
    )
