"""Read queries behind the source pages: publications by how often they are featured."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from portal.models import Edition, Link, Source
from portal.queries.archive import ARCHIVE_ORDER, Page


def sources_with_counts(session: Session) -> list[tuple[Source, int]]:
    """Return every source that has a link, with its number of links, most featured first."""
    links = func.count(Link.id)
    query = (
        select(Source, links)
        .join(Link, Link.source_id == Source.id)
        .group_by(Source.id)
        .order_by(links.desc(), Source.name)
    )
    return [(source, int(n)) for source, n in session.execute(query)]


def get_source(session: Session, slug: str) -> Source | None:
    """Return the source with this slug."""
    return session.scalar(select(Source).where(Source.slug == slug))


def source_page(session: Session, source: Source, number: int, per_page: int) -> Page[Link]:
    """Return one page of the links from a source, newest edition first."""
    total = session.scalar(select(func.count(Link.id)).where(Link.source_id == source.id)) or 0
    query = (
        select(Link)
        .join(Edition, Edition.id == Link.edition_id)
        .where(Link.source_id == source.id)
        .order_by(*ARCHIVE_ORDER, Link.section, Link.position)
        .options(contains_eager(Link.edition), selectinload(Link.themes))
    )
    links = session.scalars(query.offset((number - 1) * per_page).limit(per_page)).all()
    return Page(list(links), number, per_page, total)
