"""Search pages: /search, /search/help and the JSON twin /api/search."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)

import index
from portal.caching import rendered_once
from portal.db import get_session
from portal.models import link_anchor
from portal.search import facet_names, get_search_index, highlight_param

bp = Blueprint("search", __name__)

_YEAR = re.compile(r"^\d{4}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class BadRequest(ValueError):
    """A search parameter that is not of the documented form."""


def search_request() -> index.SearchRequest:
    """Read the search parameters from the URL, or raise BadRequest naming the bad one."""
    args = request.args
    q = args.get("q", "").strip()
    theme, year, source = (
        args.get(name, "").strip() or None for name in ("theme", "year", "source")
    )
    if (theme and not _SLUG.match(theme)) or (source and not _SLUG.match(source)):
        raise BadRequest("theme and source take a slug, such as theme=platforms or source=wired.")
    if year and not _YEAR.match(year):
        raise BadRequest("year takes four digits, such as year=2021.")
    try:
        sort = index.Sort(args.get("sort", "relevance"))
    except ValueError:
        raise BadRequest("sort is either relevance or newest.") from None
    page = args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 1000:
        raise BadRequest("page is a whole number from 1 to 1000.")
    size = current_app.config["SEARCH_RESULTS_PER_PAGE"]
    return index.SearchRequest(q, theme, year, source, sort, int(page), size)


def hit_url(hit: index.Hit, hl: str = "") -> str:
    """Return the portal address of a hit: the edition, or the exact link on its page.

    `hl` (the searched words) makes the edition page mark them: `?hl=<words>#link-N`.
    """
    anchor = None
    if hit.kind == "link" and hit.position is not None:
        anchor = link_anchor(hit.section or "curated", hit.position)
    return url_for("archive.edition", slug=hit.edition_slug, hl=hl or None, _anchor=anchor)


@bp.app_template_global()
def search_url(**changes: str | int | None) -> str:
    """Return /search with the current parameters changed (None removes one; the page resets)."""
    params = {key: value for key, value in request.args.items() if key != "page"}
    params.update({key: str(value) for key, value in changes.items() if value is not None})
    for key in [key for key, value in changes.items() if value is None]:
        params.pop(key, None)
    query = urlencode({key: value for key, value in params.items() if value})
    return url_for("search.results") + (f"?{query}" if query else "")


def group_by_edition(hits: tuple[index.Hit, ...]) -> list[list[index.Hit]]:
    """Group hits by edition, editions in the order of their best hit."""
    groups: dict[str, list[index.Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.edition_slug, []).append(hit)
    return list(groups.values())


def active_filters(
    wanted: index.SearchRequest, names: dict[str, dict[str, str]]
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


@bp.get("/search")
def results() -> tuple[str, int]:
    """Show search results grouped by edition, with facets and suggestions."""
    try:
        wanted = search_request()
    except BadRequest as error:
        return render_template("search/results.html", error=str(error), form=request.args), 400
    if not wanted.q and not wanted.has_filters():
        return render_template("search/results.html", form=request.args), 200
    try:
        found = get_search_index().search(wanted)
    except index.QueryError as error:
        return render_template("search/results.html", error=str(error), form=request.args), 400
    except index.IndexUnavailable:
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

    # The same results (index version) for the same URL make the same page.
    return rendered_once(f"search|{found.version}|{request.full_path}", render), 200


@bp.get("/search/help")
def help_page() -> str:
    """Explain the query language."""
    return render_template("search/help.html", form=request.args)


@bp.get("/api/search")
def api() -> tuple[Response, int]:
    """Answer the same search as JSON."""
    try:
        found = get_search_index().search(search_request())
    except (BadRequest, index.QueryError) as error:
        return jsonify(error=str(error), status=400), 400
    except index.IndexUnavailable:
        current_app.logger.exception("search index unavailable")
        return jsonify(
            error="Search is unavailable for a moment; please try again shortly.", status=503
        ), 503
    return Response(_json_body(found), mimetype="application/json"), 200


_BODIES: OrderedDict[int, tuple[index.SearchResults, bytes]] = OrderedDict()
_BODIES_LOCK = threading.Lock()


def _json_body(found: index.SearchResults) -> bytes:
    """Return the JSON of results, encoded once per results object the index's cache hands out."""
    with _BODIES_LOCK:
        kept = _BODIES.get(id(found))
        if kept is not None and kept[0] is found:
            _BODIES.move_to_end(id(found))
            return kept[1]
    body = json.dumps(_as_json(found), ensure_ascii=False).encode()
    with _BODIES_LOCK:
        _BODIES[id(found)] = (found, body)  # keeping `found` alive keeps its id unique
        while len(_BODIES) > index.searching.CACHE_SIZE:
            _BODIES.popitem(last=False)
    return body


def _as_json(found: index.SearchResults) -> dict[str, object]:
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
