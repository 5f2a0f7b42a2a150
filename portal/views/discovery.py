"""Documents for crawlers and browsers: the sitemap, robots.txt, OpenSearch and /favicon.ico."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, abort, current_app, send_from_directory

from portal.caching import cached_page
from portal.db import get_session
from portal.publishing.discovery import (
    OPENSEARCH_TYPE,
    Page,
    newest,
    opensearch_document,
    robots_text,
    sitemap_document,
    sitemap_index_document,
    sitemap_parts,
)
from portal.queries.sitemap import Lastmod, edition_lastmods, source_lastmods, theme_lastmods
from portal.site import LANGUAGE, SITE_NAME, absolute_url

bp = Blueprint("discovery", __name__)

SEARCH_DESCRIPTION = "Search every PRODUCTHEAD edition and curated link."


@bp.get("/sitemap.xml")
@cached_page
def sitemap() -> Response:
    """Return the sitemap, or past `SITEMAP_LIMIT` pages a sitemap index of its parts."""
    limit = current_app.config["SITEMAP_LIMIT"]
    parts = sitemap_parts(list(_pages()), limit)
    if len(parts) == 1:
        return _xml(sitemap_document(parts[0], limit))
    # https://www.sitemaps.org/protocol.html#index: each part listed with its newest change.
    index = [
        (absolute_url("discovery.sitemap_part", part=number), newest(pages))
        for number, pages in enumerate(parts, start=1)
    ]
    return _xml(sitemap_index_document(index))


@bp.get("/sitemap-<int:part>.xml")
@cached_page
def sitemap_part(part: int) -> Response:
    """Return one part of a split sitemap; 404 when the sitemap is not split or has no such part."""
    limit = current_app.config["SITEMAP_LIMIT"]
    parts = sitemap_parts(list(_pages()), limit)
    if len(parts) == 1 or not 1 <= part <= len(parts):
        abort(404)
    return _xml(sitemap_document(parts[part - 1], limit))


@bp.get("/robots.txt")
def robots() -> Response:
    """Return robots.txt, pointing crawlers at the sitemap."""
    text = robots_text(absolute_url("discovery.sitemap"))
    return Response(text, content_type="text/plain; charset=utf-8")


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    """Return the OpenSearch description that lets browsers search the archive."""
    document = opensearch_document(
        SITE_NAME,
        SEARCH_DESCRIPTION,
        absolute_url("search.results") + "?q={searchTerms}",
        absolute_url("discovery.opensearch"),
        LANGUAGE,
    )
    return Response(document, content_type=f"{OPENSEARCH_TYPE}; charset=utf-8")


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Return the site icon where browsers and feed readers look for it unasked."""
    folder = current_app.static_folder or "static"
    return send_from_directory(folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")


def _xml(document: bytes) -> Response:
    return Response(document, content_type="application/xml; charset=utf-8")


def _pages() -> Iterator[Page]:
    session = get_session()
    editions = edition_lastmods(session)
    newest = max((updated for _slug, updated in editions), default=None)
    for endpoint in ("archive.home", "archive.editions", "themes.index", "sources.index"):
        yield absolute_url(endpoint), newest
    yield from _each("archive.edition", editions)
    yield from _each("themes.theme", theme_lastmods(session))
    yield from _each("sources.source", source_lastmods(session))


def _each(endpoint: str, rows: Iterable[Lastmod]) -> Iterator[Lastmod]:
    for slug, updated in rows:
        yield absolute_url(endpoint, slug=slug), updated
