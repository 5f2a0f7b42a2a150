"""The portal's pages: one blueprint per area, plus error pages and template helpers."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from flask import Flask

from portal.models import Edition
from portal.views import (
    archive,
    discovery,
    errors,
    feeds,
    health,
    meta,
    search,
    sources,
    subscribe,
    themes,
)


def init_app(app: Flask) -> None:
    """Register blueprints, error pages and template filters."""
    app.register_blueprint(archive.bp)
    app.register_blueprint(themes.bp)
    search.init_app(app)
    app.register_blueprint(sources.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(discovery.bp)
    app.register_blueprint(health.bp)
    subscribe.init_app(app)
    errors.init_app(app)
    meta.init_app(app)
    app.add_template_filter(edition_date)
    app.add_template_filter(month_name)
    app.add_template_filter(groupby_month)


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
