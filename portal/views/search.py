"""Search pages: /search, /search/help and the JSON twin /api/search."""

from __future__ import annotations

import functools
import json

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)

from portal.caching import kept_response
from portal.db import get_session
from portal.limits import limit_per_client
from portal.models import link_anchor
from portal.search import (
    Hit,
    IndexUnavailable,
    QueryError,
    SearchRequest,
    SearchResults,
    facet_names,
    get_search_index,
    highlight_param,
)
from portal.views.search_params import BadSearch, parse_query_string

bp = Blueprint("search", __name__)
JSON = "application/json"
HTML = "text/html; charset=utf-8"


def init_app(app: Flask) -> None:
    """Register the search pages."""
    app.register_blueprint(bp)


def search_request() -> SearchRequest:
    """Read this request's search parameters, or raise BadSearch naming the bad one."""
    page_size = current_app.config["SEARCH_RESULTS_PER_PAGE"]
    return parse_query_string(request.query_string, page_size)


def hit_url(hit: Hit, hl: str = "") -> str:
    """Return the portal address of a hit: the edition, or the exact link on its page.

    `hl` (the searched words) makes the edition page mark them: `?hl=<words>#link-N`.
    """
    anchor = None
    if hit.kind == "link" and hit.position is not None:
        anchor = link_anchor(hit.section or "curated", hit.position)
    return url_for("archive.edition", slug=hit.edition_slug, hl=hl or None, _anchor=anchor)


def group_by_edition(hits: tuple[Hit, ...]) -> list[list[Hit]]:
    """Group hits by edition, editions in the order of their best hit."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.edition_slug, []).append(hit)
    return list(groups.values())


def active_filters(
    wanted: SearchRequest, names: dict[str, dict[str, str]]
) -> list[tuple[str, str, str]]:
    """Return (parameter, label, shown value) for each filter in use."""
    chosen = (
        ("theme", "Theme", wanted.theme),
        ("year", "Year", wanted.year),
        ("source", "Source", wanted.source),
    )
    return [
        (name, label, names.get(name, {}).get(value, value))
        for name, label, value in chosen
        if value
    ]


# Limited together, per client: the results page and its JSON twin (instant search).
@bp.get("/search")
@limit_per_client("SEARCH_RATE_LIMIT", scope="search")
def results() -> tuple[str | Response, int]:
    """Show search results grouped by edition, with facets and suggestions."""
    try:
        wanted = search_request()
    except BadSearch as error:
        return render_template("search/results.html", error=str(error), form=request.args), 400
    if not wanted.q and not wanted.has_filters():
        return render_template("search/results.html", form=request.args), 200
    try:
        found = get_search_index().search(wanted)
    except QueryError as error:
        return render_template("search/results.html", error=str(error), form=request.args), 400
    except IndexUnavailable:
        current_app.logger.exception("search index unavailable")
        return render_template("search/unavailable.html", form=request.args), 503
    if found.total and wanted.page > found.pages:
        abort(404)

    def render() -> str:
        names = facet_names(get_session(), found)
        return render_template(
            "search/results.html",
            found=found,
            groups=group_by_edition(found.hits),
            names=names,
            active=active_filters(wanted, names),
            form=request.args,
            hit_url=hit_url,
            hl=highlight_param(wanted.q),
        )

    # The same results (index version) for the same URL make the same page, sent gzipped as kept.
    return kept_response(f"search|{found.version}|{request.full_path}", render, HTML), 200


@bp.get("/search/help")
def help_page() -> str:
    """Explain the query language."""
    return render_template("search/help.html", form=request.args)


@bp.get("/api/search")
@limit_per_client("SEARCH_RATE_LIMIT", scope="search")
def api() -> tuple[Response, int]:
    """Answer the same search as JSON."""
    try:
        found = get_search_index().search(search_request())
    except (BadSearch, QueryError) as error:
        return jsonify(error=str(error), status=400), 400
    except IndexUnavailable:
        current_app.logger.exception("search index unavailable")
        return jsonify(
            error="Search is unavailable for a moment; please try again shortly.", status=503
        ), 503
    # Kept like the HTML pages (same results, same URL), and sent gzipped as kept.
    body = functools.partial(_json_body, found)
    return kept_response(f"api|{found.version}|{request.full_path}", body, JSON), 200


def _json_body(found: SearchResults) -> str:
    """Return the JSON of results."""
    return json.dumps(_as_json(found), ensure_ascii=False)


def _as_json(found: SearchResults) -> dict[str, object]:
    hl = highlight_param(found.request.q)
    return {
        "query": found.request.q,
        "total": found.total,
        "page": found.request.page,
        "pages": found.pages,
        "suggestion": found.suggestion,
        "facets": {name: dict(pairs) for name, pairs in found.facets.items()},
        # Display names of the theme and source slugs in facets and hits, for instant search.
        "names": facet_names(get_session(), found),
        "hits": [
            {
                "kind": hit.kind,
                "title": hit.title,
                "url": hit_url(hit, hl),
                "edition": {
                    "slug": hit.edition_slug,
                    "title": hit.edition_title,
                    "date": hit.edition_date,
                },
                "source": hit.source,
                "author": hit.author,
                "themes": list(hit.themes),
                "snippet": hit.snippet,
            }
            for hit in found.hits
        ],
    }
