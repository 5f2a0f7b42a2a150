"""The site's feeds and each theme's: Atom and JSON Feed 1.1, the latest editions in full."""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template

from portal.caching import cached_page
from portal.db import get_session
from portal.models import Edition
from portal.publishing.feeds import (
    ATOM_TYPE,
    JSON_FEED_TYPE,
    Feed,
    FeedEntry,
    atom_document,
    json_feed_document,
)
from portal.queries import archive
from portal.queries.themes import theme_feed_editions
from portal.site import (
    EDITOR,
    LANGUAGE,
    SITE_NAME,
    absolute_url,
    modified,
    published,
    summary,
)
from portal.views.themes import get_theme_or_404

bp = Blueprint("feeds", __name__)

FEED_SIZE = 20
SITE_DESCRIPTION = "PRODUCTHEAD, a weekly newsletter of product management goodness."


@bp.get("/feed.xml")
@cached_page
def atom() -> Response:
    """Return the Atom feed of the latest editions."""
    return _atom(_site_feed())


@bp.get("/feed.json")
@cached_page
def json_feed() -> Response:
    """Return the JSON Feed of the latest editions."""
    return _json(_site_feed())


@bp.get("/themes/<slug>/feed.xml")
@cached_page
def theme_atom(slug: str) -> Response:
    """Return the Atom feed of the latest editions on a theme's page."""
    return _atom(_theme_feed(slug))


@bp.get("/themes/<slug>/feed.json")
@cached_page
def theme_json_feed(slug: str) -> Response:
    """Return the JSON Feed of the latest editions on a theme's page."""
    return _json(_theme_feed(slug))


def _atom(feed: Feed) -> Response:
    return Response(atom_document(feed), content_type=f"{ATOM_TYPE}; charset=utf-8")


def _json(feed: Feed) -> Response:
    body = json.dumps(json_feed_document(feed), ensure_ascii=False, indent=2)
    return Response(body, content_type=f"{JSON_FEED_TYPE}; charset=utf-8")


def _site_feed() -> Feed:
    editions = archive.latest_editions(get_session(), FEED_SIZE)
    urls = _urls("archive.home", "feeds.atom", "feeds.json_feed")
    return Feed(SITE_NAME, SITE_DESCRIPTION, *urls, EDITOR, LANGUAGE, _entries(editions))


def _theme_feed(slug: str) -> Feed:
    theme = get_theme_or_404(slug)
    editions = theme_feed_editions(get_session(), theme, FEED_SIZE)
    urls = _urls("themes.theme", "feeds.theme_atom", "feeds.theme_json_feed", slug=slug)
    title = f"{SITE_NAME}: {theme.name}"
    return Feed(title, theme.description, *urls, EDITOR, LANGUAGE, _entries(editions))


def _urls(*endpoints: str, **values: str) -> tuple[str, str, str]:
    home, atom_url, json_url = (absolute_url(endpoint, **values) for endpoint in endpoints)
    return home, atom_url, json_url


def _entries(editions: list[Edition]) -> tuple[FeedEntry, ...]:
    return tuple(map(_entry, editions))


def _entry(edition: Edition) -> FeedEntry:
    url = absolute_url("archive.edition", slug=edition.slug)
    return FeedEntry(
        id=url,
        url=url,
        title=edition.title,
        summary=summary(edition),
        content_html=render_template("feeds/_content.html", edition=edition),
        published=published(edition),
        updated=modified(edition),
        tags=tuple(theme.name for theme in edition.themes),
    )
