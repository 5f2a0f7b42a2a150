"""Read queries behind the sitemap: when each page last changed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Edition, Link, Source, Theme
from portal.queries.archive import ARCHIVE_ORDER
from portal.queries.themes import theme_memberships

Lastmod = tuple[str, dt.datetime | None]


def edition_lastmods(session: Session) -> list[tuple[str, dt.datetime]]:
    """Return every edition's slug and when its content last changed, in archive order."""
    query = select(Edition.slug, Edition.updated_at).order_by(*ARCHIVE_ORDER)
    return [(slug, updated) for slug, updated in session.execute(query)]


def theme_lastmods(session: Session) -> list[Lastmod]:
    """Return every theme's slug and the last change to an edition on its page (None if empty)."""
    members = theme_memberships()
    newest = (
        select(members.c.theme_id, func.max(Edition.updated_at).label("updated"))
        .join(Edition, Edition.id == members.c.edition_id)
        .group_by(members.c.theme_id)
        .subquery()
    )
    query = (
        select(Theme.slug, newest.c.updated)
        .outerjoin(newest, newest.c.theme_id == Theme.id)
        .order_by(Theme.slug)
    )
    return [(slug, updated) for slug, updated in session.execute(query)]


def source_lastmods(session: Session) -> list[Lastmod]:
    """Return every source with a link, and the last change to an edition featuring it."""
    query = (
        select(Source.slug, func.max(Edition.updated_at))
        .join(Link, Link.source_id == Source.id)
        .join(Edition, Edition.id == Link.edition_id)
        .group_by(Source.id)
        .order_by(Source.slug)
    )
    return [(slug, updated) for slug, updated in session.execute(query)]
