"""Read queries behind a theme's page and feed: its editions, their tagged links, counts per year."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Subquery, extract, func, or_, select, union
from sqlalchemy.orm import Session, selectinload

from portal.models import Edition, Link, Theme, edition_themes, link_themes
from portal.queries.archive import ARCHIVE_ORDER, Page

# Everything a full edition shows (feeds render editions in full).
FULL_EDITION = (selectinload(Edition.themes), selectinload(Edition.links).selectinload(Link.themes))


@dataclass(frozen=True)
class ThemeGroup:
    """One edition on a theme's page: whether the edition itself is tagged, and its tagged links."""

    edition: Edition
    tagged: bool
    links: list[Link]


@dataclass(frozen=True)
class YearCount:
    """How many editions and links a theme has in one year (None: editions of unknown date)."""

    year: int | None
    editions: int
    links: int

    @property
    def tagged(self) -> int:
        """Return the editions and links tagged that year together (the height of its bar)."""
        return self.editions + self.links


def theme_memberships() -> Subquery:
    """Return (edition_id, theme_id) for every theme of an edition or of one of its links."""
    return union(
        select(edition_themes.c.edition_id, edition_themes.c.theme_id),
        select(Link.edition_id, link_themes.c.theme_id).join(
            link_themes, link_themes.c.link_id == Link.id
        ),
    ).subquery()


def _in_theme(theme: Theme) -> ColumnElement[bool]:
    tagged = select(edition_themes.c.edition_id).where(edition_themes.c.theme_id == theme.id)
    with_links = (
        select(Link.edition_id)
        .join(link_themes, link_themes.c.link_id == Link.id)
        .where(link_themes.c.theme_id == theme.id)
    )
    return or_(Edition.id.in_(tagged), Edition.id.in_(with_links))


def theme_page(session: Session, theme: Theme, number: int, per_page: int) -> Page[ThemeGroup]:
    """Return one page of the editions tagged with a theme or holding a link tagged with it."""
    where = _in_theme(theme)
    total = session.scalar(select(func.count(Edition.id)).where(where)) or 0
    query = (
        select(Edition).where(where).order_by(*ARCHIVE_ORDER).options(selectinload(Edition.themes))
    )
    editions = list(session.scalars(query.offset((number - 1) * per_page).limit(per_page)))
    return Page(_groups(session, theme, editions), number, per_page, total)


def _groups(session: Session, theme: Theme, editions: list[Edition]) -> list[ThemeGroup]:
    query = (
        select(Link)
        .join(link_themes, link_themes.c.link_id == Link.id)
        .where(link_themes.c.theme_id == theme.id, Link.edition_id.in_([e.id for e in editions]))
        .order_by(Link.section, Link.position)
    )
    links: dict[int, list[Link]] = defaultdict(list)
    for link in session.scalars(query):
        links[link.edition_id].append(link)
    return [ThemeGroup(e, theme in e.themes, links[e.id]) for e in editions]


def theme_feed_editions(session: Session, theme: Theme, limit: int) -> list[Edition]:
    """Return the newest editions on a theme's page, loaded in full."""
    query = select(Edition).where(_in_theme(theme)).order_by(*ARCHIVE_ORDER).limit(limit)
    return list(session.scalars(query.options(*FULL_EDITION)))


def theme_years(session: Session, theme: Theme) -> list[YearCount]:
    """Return the editions and links tagged with a theme per year, newest year first, undated last."""
    year = extract("year", Edition.date)
    editions = (
        select(year, func.count())
        .select_from(edition_themes)
        .join(Edition, Edition.id == edition_themes.c.edition_id)
        .where(edition_themes.c.theme_id == theme.id)
        .group_by(year)
    )
    links = (
        select(year, func.count())
        .select_from(link_themes)
        .join(Link, Link.id == link_themes.c.link_id)
        .join(Edition, Edition.id == Link.edition_id)
        .where(link_themes.c.theme_id == theme.id)
        .group_by(year)
    )
    counts: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for column, query in enumerate((editions, links)):
        for found, n in session.execute(query):
            counts[None if found is None else int(found)][column] = int(n)
    order = sorted(counts, key=lambda y: (y is None, -(y or 0)))
    return [YearCount(y, *counts[y]) for y in order]
