"""Browsing by source: the publications links come from."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from portal.caching import cached_page
from portal.db import get_session
from portal.queries import related
from portal.queries.sources import get_source, source_page, sources_with_counts
from portal.views.paging import page_number

bp = Blueprint("sources", __name__, url_prefix="/sources")


@bp.get("/")
@cached_page
def index() -> str:
    """List every source with its number of links, most featured first."""
    sources = sources_with_counts(get_session())
    return render_template("sources/index.html", sources=sources)


@bp.get("/<slug>")
@cached_page
def source(slug: str) -> str:
    """Show one page of the links from a source, newest first."""
    session = get_session()
    found = get_source(session, slug)
    if found is None:
        abort(404)
    per_page = current_app.config["LINKS_PER_PAGE"]
    page = source_page(session, found, page_number(), per_page)
    # A source whose links were all edited away is not shown, like on the list of sources.
    if page.total == 0 or page.number > page.pages:
        abort(404)
    also = related.also_featured(session, page.items)
    return render_template("sources/source.html", source=found, page=page, also_featured=also)
