"""Read queries that connect editions: related editions, and links featured more than once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, literal, select, union, union_all
from sqlalchemy.orm import Session, selectinload

from portal.models import Edition, Link, edition_themes, link_themes
from portal.queries import ARCHIVE_ORDER

RELATED_LIMIT = 3
# A shared theme says more about an edition's subject than a shared publication does.
THEME_WEIGHT, SOURCE_WEIGHT = 2, 1


def related_editions(
    session: Session, edition: Edition, limit: int = RELATED_LIMIT
) -> list[Edition]:
    """Return up to `limit` other editions sharing the most themes and curated sources."""
    ids = _related_ids(session, edition.id, limit)
    found = {e.id: e for e in session.scalars(select(Edition).where(Edition.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _related_ids(session: Session, edition_id: int, limit: int) -> list[int]:
    themes, sources = _themes_of(session, edition_id), _curated_sources_of(session, edition_id)
    sharing_themes = union(
        select(edition_themes.c.edition_id, edition_themes.c.theme_id).where(
            edition_themes.c.theme_id.in_(themes)
        ),
        select(Link.edition_id, link_themes.c.theme_id)
        .join(link_themes, link_themes.c.link_id == Link.id)
        .where(link_themes.c.theme_id.in_(themes)),
    ).subquery()
    # Recent posts are left out: the editor's own site is in nearly every edition.
    sharing_sources = (
        select(Link.edition_id, Link.source_id)
        .where(Link.section == "curated", Link.source_id.in_(sources))
        .distinct()
        .subquery()
    )
    points = union_all(
        select(sharing_themes.c.edition_id, literal(THEME_WEIGHT).label("points")),
        select(sharing_sources.c.edition_id, literal(SOURCE_WEIGHT).label("points")),
    ).subquery()
    score = func.sum(points.c.points)
    query = (
        select(Edition.id)
        .join(points, points.c.edition_id == Edition.id)
        .where(Edition.id != edition_id)
        .group_by(Edition.id)
        .order_by(score.desc(), *ARCHIVE_ORDER)
        .limit(limit)
    )
    return list(session.scalars(query))


def _themes_of(session: Session, edition_id: int) -> list[int]:
    """Return the ids of the edition's themes and of its links' themes."""
    query = union(
        select(edition_themes.c.theme_id).where(edition_themes.c.edition_id == edition_id),
        select(link_themes.c.theme_id)
        .join(Link, Link.id == link_themes.c.link_id)
        .where(Link.edition_id == edition_id),
    )
    return list(session.scalars(query))


def _curated_sources_of(session: Session, edition_id: int) -> list[int]:
    query = select(Link.source_id).where(Link.edition_id == edition_id, Link.section == "curated")
    return list(session.scalars(query.distinct()))


def also_featured(session: Session, links: Sequence[Link]) -> dict[int, list[Link]]:
    """Return, by link id, the same url's appearances in other editions (one per edition)."""
    urls = {link.url for link in links if link.url}
    if not urls:
        return {}
    query = (
        select(Link)
        .join(Edition, Edition.id == Link.edition_id)
        .where(Link.url.in_(urls))  # ix_links_url: only the rows with these urls are read
        .order_by(*ARCHIVE_ORDER, Link.section, Link.position)
        .options(selectinload(Link.edition))
    )
    by_url: dict[str, list[Link]] = defaultdict(list)
    for other in session.scalars(query):
        seen = by_url[other.url or ""]
        if all(known.edition_id != other.edition_id for known in seen):
            seen.append(other)
    found = {
        link.id: [
            other for other in by_url.get(link.url or "", []) if other.edition_id != link.edition_id
        ]
        for link in links
    }
    return {link_id: elsewhere for link_id, elsewhere in found.items() if elsewhere}
