"""Absolute URLs from BASE_URL, the canonical URL, and JSON-LD data, for templates and feeds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, request, url_for

from portal.models import Edition, Link, utc

SITE_NAME = "PRODUCTHEAD"
EDITOR = "Jock Busuttil"
LANGUAGE = "en-GB"


def base_url() -> str:
    """Return the configured public address of the site, without a trailing slash."""
    return str(current_app.config["BASE_URL"]).rstrip("/")


def absolute_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of an endpoint, starting with BASE_URL (never the request's host)."""
    return base_url() + url_for(endpoint, **values)


def link_url(link: Link) -> str:
    """Return the address of a link on its edition's page (`#link-N`, or `#post-N` for a post)."""
    return url_for("archive.edition", slug=link.edition.slug, _anchor=link.anchor)


def canonical_url() -> str:
    """Return this page's canonical URL: its path on BASE_URL, keeping only a page number past 1."""
    page = request.args.get("page", "1")
    query = f"?page={int(page)}" if page.isdigit() and int(page) > 1 else ""
    return base_url() + request.path + query


def published(edition: Edition) -> dt.datetime:
    """Return when an edition was published: midnight UTC of its date, else when it was imported."""
    if edition.date is None:
        return utc(edition.created_at)
    return dt.datetime.combine(edition.date, dt.time(), tzinfo=dt.UTC)


def modified(edition: Edition) -> dt.datetime:
    """Return when an edition last changed: its last import that changed it, never before publication."""
    return max(utc(edition.updated_at), published(edition))


def summary(edition: Edition) -> str:
    """Return an edition's highlights as sentences, for feed summaries and descriptions."""
    return " ".join(h if h.endswith((".", "!", "?", "…")) else f"{h}." for h in edition.highlights)


def article_data(edition: Edition) -> dict[str, Any]:
    """Return schema.org Article data (JSON-LD) for an edition page."""
    url = absolute_url("archive.edition", slug=edition.slug)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": edition.title,
        "description": summary(edition) or edition.title,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": LANGUAGE,
        "dateModified": modified(edition).isoformat(),
        "author": {"@type": "Person", "name": EDITOR},
        "publisher": {"@type": "Organization", "name": SITE_NAME, "url": base_url() + "/"},
        "isPartOf": {"@type": "Periodical", "name": SITE_NAME},
    }
    if edition.date is not None:  # an undated edition gets no invented publication date
        data["datePublished"] = edition.date.isoformat()
    if edition.themes:
        data["keywords"] = [theme.name for theme in edition.themes]
    return data
