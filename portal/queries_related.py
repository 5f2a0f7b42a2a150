"""Read queries that connect editions: related editions, and links featured more than once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy import Select, Subquery, func, literal, select, union_all
from sqlalchemy.orm import Session, contains_eager

from portal.models import Edition, Link
from portal.queries import ARCHIVE_ORDER
from portal.queries_themes import theme_memberships

RELATED_LIMIT = 3
# A shared theme says more about an edition's subject than a shared publication does.
THEME_WEIGHT, SOURCE_WEIGHT = 2, 1


def _curated_sources() -> Subquery:
    # Recent posts are left out: the editor's own site is in nearly every edition.
    return (
        select(Link.edition_id, Link.source_id)
        .where(Link.section == "curated")
        .distinct()
        .subquery()
    )


def _shared(pairs: Callable[[], Subquery], edition_id: int, weight: int) -> Select[tuple[int, int]]:
    """Return (other edition, weight x keys shared) for pairs of (edition id, key id)."""
    # Two copies of the pairs, so the inner select is not correlated with the outer one.
    (my_edition, my_key), (other, key) = pairs().c, pairs().c
    own_keys = select(my_key).where(my_edition == edition_id)
    return (
        select(other, func.count() * literal(weight))
        .where(key.in_(own_keys), other != edition_id)
        .group_by(other)
    )


def related_editions(
    session: Session, edition: Edition, limit: int = RELATED_LIMIT
) -> list[Edition]:
    """Return up to `limit` other editions sharing the most themes and curated sources."""
    scores = union_all(
        _shared(theme_memberships, edition.id, THEME_WEIGHT),
        _shared(_curated_sources, edition.id, SOURCE_WEIGHT),
    ).subquery()
    edition_id, score = scores.c
    totals = (
        select(edition_id.label("edition_id"), func.sum(score).label("score"))
        .group_by(edition_id)
        .subquery()
    )
    query = (
        select(Edition)
        .join(totals, totals.c.edition_id == Edition.id)
        .order_by(totals.c.score.desc(), *ARCHIVE_ORDER)
        .limit(limit)
    )
    return list(session.scalars(query))


def also_featured(session: Session, links: Sequence[Link]) -> dict[int, list[Link]]:
    """Return, by link id, the same url's appearances in other editions (one per edition)."""
    urls = {link.url for link in links if link.url}
    if not urls:
        return {}
    query = (
        select(Link)
        .join(Edition, Edition.id == Link.edition_id)
        .where(Link.url.in_(urls))
        .order_by(*ARCHIVE_ORDER, Link.section, Link.position)
        .options(contains_eager(Link.edition))
    )
    by_url: dict[str, list[Link]] = defaultdict(list)
    for found in session.scalars(query):
        appearances = by_url[found.url or ""]
        if all(seen.edition_id != found.edition_id for seen in appearances):
            appearances.append(found)
    others = {
        link.id: [o for o in by_url[link.url] if o.edition_id != link.edition_id]
        for link in links
        if link.url
    }
    return {link_id: found for link_id, found in others.items() if found}
