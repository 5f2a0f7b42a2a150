"""Read-only queries behind the pages; views call these and render the result."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, extract, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from portal.models import (
    ContentRevision,
    Edition,
    Link,
    Theme,
    edition_themes,
    link_themes,
    utc,
)

T = TypeVar("T")

# Newest first; editions whose date is unknown come after every dated one.
ARCHIVE_ORDER = (Edition.date.desc().nulls_last(), Edition.slug.asc())
REVERSE_ORDER = (Edition.date.asc().nulls_first(), Edition.slug.desc())


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list."""

    items: list[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Return how many pages the whole list fills (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))


def _with_links(query: Select[Edition]) -> Select[Edition]:
    return query.options(
        selectinload(Edition.themes),
        selectinload(Edition.links).selectinload(Link.themes),
    )


def get_edition(session: Session, slug: str) -> Edition | None:
    """Return the edition with this slug, its links and themes loaded."""
    return session.scalar(_with_links(select(Edition).where(Edition.slug == slug)))


def latest_editions(session: Session, limit: int) -> list[Edition]:
    """Return the newest editions, links loaded."""
    return list(session.scalars(_with_links(select(Edition).order_by(*ARCHIVE_ORDER).limit(limit))))


def _in_period(year: int | None, month: int | None) -> ColumnElement[bool]:
    if year is None:
        return true()
    start = dt.date(year, month or 1, 1)
    end = dt.date(year + (month is None or month == 12), (month or 12) % 12 + 1, 1)
    return and_(Edition.date >= start, Edition.date < end)


def archive_page(
    session: Session, number: int, per_page: int, year: int | None = None, month: int | None = None
) -> Page[Edition]:
    """Return one page of the archive, optionally of one year or month."""
    period = _in_period(year, month)
    total = session.scalar(select(func.count(Edition.id)).where(period)) or 0
    query = select(Edition).where(period).order_by(*ARCHIVE_ORDER)
    items = session.scalars(query.offset((number - 1) * per_page).limit(per_page)).all()
    return Page(list(items), number, per_page, total)


def archive_years(session: Session) -> list[tuple[int, int]]:
    """Return (year, number of editions) for every year with an edition, newest first."""
    year = extract("year", Edition.date)
    query = (
        select(year, func.count())
        .where(Edition.date.is_not(None))
        .group_by(year)
        .order_by(year.desc())
    )
    return [(int(y), int(n)) for y, n in session.execute(query)]


def neighbours(session: Session, edition: Edition) -> tuple[Edition | None, Edition | None]:
    """Return the editions just newer and just older than this one in archive order."""
    date, slug = edition.date, edition.slug
    if date is None:
        newer = or_(Edition.date.is_not(None), Edition.slug < slug)
        older = and_(Edition.date.is_(None), Edition.slug > slug)
    else:
        newer = or_(Edition.date > date, and_(Edition.date == date, Edition.slug < slug))
        same_day_after = and_(Edition.date == date, Edition.slug > slug)
        older = or_(Edition.date < date, same_day_after, Edition.date.is_(None))
    first_newer = session.scalar(select(Edition).where(newer).order_by(*REVERSE_ORDER).limit(1))
    first_older = session.scalar(select(Edition).where(older).order_by(*ARCHIVE_ORDER).limit(1))
    return first_newer, first_older


def themes_with_counts(session: Session) -> list[tuple[Theme, int, int]]:
    """Return every theme with its number of editions and of links."""
    editions = select(func.count()).where(edition_themes.c.theme_id == Theme.id).scalar_subquery()
    links = select(func.count()).where(link_themes.c.theme_id == Theme.id).scalar_subquery()
    rows = session.execute(select(Theme, editions, links).order_by(Theme.name))
    return [(theme, int(n_editions), int(n_links)) for theme, n_editions, n_links in rows]


def get_theme(session: Session, slug: str) -> Theme | None:
    """Return the theme with this slug."""
    return session.scalar(select(Theme).where(Theme.slug == slug))


@dataclass(frozen=True)
class ContentVersion:
    """What the archive's pages are made of, summed up: the revision, its time and the counts."""

    revision: int
    changed_at: dt.datetime | None
    editions: int
    themes: int

    @property
    def token(self) -> str:
        """Return a string that changes whenever a write changes an edition or a theme."""
        return f"r{self.revision}/{self.editions}/{self.themes}"


def content_version(session: Session) -> ContentVersion:
    """Return the content revision, when it advanced and the counts, in one cheap query.

    The revision, not `max(updated_at)`, is what changes: a writing host whose clock is
    behind still moves it forward (portal/revision.py).
    """
    parts = (
        select(ContentRevision.revision),
        select(ContentRevision.changed_at),
        select(func.count(Edition.id)),
        select(func.count(Theme.id)),
    )
    row = session.execute(select(*(part.scalar_subquery() for part in parts))).one()
    number, changed_at, n_editions, n_themes = row
    changed = utc(changed_at) if changed_at is not None and n_editions + n_themes else None
    return ContentVersion(int(number or 0), changed, int(n_editions), int(n_themes))


def slug_for_old_path(session: Session, path: str) -> str | None:
    """Return the slug of the edition whose WordPress permalink had this path (or its /amp/)."""
    path = path if path.endswith("/") else path + "/"
    path = path.removesuffix("amp/") if path.endswith("/amp/") else path
    if path == "/":
        return None
    return session.scalar(select(Edition.slug).where(Edition.origin_path == path).limit(1))
