"""Every template filter, global and context processor, registered in one place."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from urllib.parse import urlencode

from flask import Flask, request, url_for

from portal import html, site
from portal.models import Edition
from portal.subscriptions.forms import CONSENT_TEXT


def init_app(app: Flask) -> None:
    """Make the helpers available to every template."""
    for template_filter in (edition_date, month_name, groupby_month, html.marked):
        app.add_template_filter(template_filter)
    # `{{ paragraph|paragraph_html(hl) }}`: an intro or blurb paragraph with its links.
    app.add_template_filter(html.paragraph_html)
    for template_global in (site.canonical_url, site.article_data, site.link_url, search_url):
        app.add_template_global(template_global)
    app.context_processor(consent)


def edition_date(value: dt.date | str | None) -> str:
    """Return a date (or an ISO date, as search hits carry it) as readers write it ("7 June 2021")."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value) if value else None
    return f"{value.day} {value:%B %Y}" if value else "Date unknown"


def month_name(month: int) -> str:
    """Return the English name of a month number."""
    return dt.date(2000, month, 1).strftime("%B")


def groupby_month(
    editions: Iterable[Edition],
) -> list[tuple[tuple[int | None, int | None], list[Edition]]]:
    """Group editions in archive order by (year, month); undated ones form one last group."""

    def key(edition: Edition) -> tuple[int | None, int | None]:
        return (edition.date.year, edition.date.month) if edition.date else (None, None)

    return [(k, list(group)) for k, group in itertools.groupby(editions, key)]


def search_url(**changes: str | int | None) -> str:
    """Return /search with the current parameters changed (None removes one; the page resets)."""
    params = {key: value for key, value in request.args.items() if key != "page"}
    params.update({key: str(value) for key, value in changes.items() if value is not None})
    for key in [key for key, value in changes.items() if value is None]:
        params.pop(key, None)
    query = urlencode({key: value for key, value in params.items() if value})
    return url_for("search.results") + (f"?{query}" if query else "")


def consent() -> dict[str, str]:
    """Give every template the consent sentence the sign-up form shows."""
    return {"consent_text": CONSENT_TEXT}
