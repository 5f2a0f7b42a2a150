"""Read queries that connect editions: related editions, and links featured more than once."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import select, union
from sqlalchemy.orm import Session, selectinload

from portal.models import Edition, Link, edition_themes, link_themes
from portal.queries.archive import ARCHIVE_ORDER

RELATED_LIMIT = 3
# A shared theme says more about an edition's subject than a shared publication does.
THEME_WEIGHT, SOURCE_WEIGHT = 2, 1


def related_editions(
    session: Session, edition: Edition, version: str, limit: int = RELATED_LIMIT
) -> list[Edition]:
    """Return up to `limit` other editions sharing the most themes and curated sources, for
    the archive's content `version` (`queries.content_version`)."""
    ids = _neighbours(session, version).related(edition.id, limit)
    found = {e.id: e for e in session.scalars(select(Edition).where(Edition.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


@dataclass(frozen=True)
class _Neighbours:
    """Which editions share each theme and each curated source, as arrays of positions in
    archive order. Summing an edition's rows gives every other edition's points at once, where
    the same in SQL reads every pair that shares a theme (figures: docs/benchmarks.md, "Figures
    behind choices in the code"). Built per worker once per content version: one query for
    each table."""

    ids: npt.NDArray[np.int64]
    position: dict[int, int]
    themes: dict[int, npt.NDArray[np.int64]]  # theme id -> positions of the editions with it
    sources: dict[int, npt.NDArray[np.int64]]  # source id -> positions, curated links only
    of_edition: dict[int, tuple[list[int], list[int]]]  # edition id -> (theme ids, source ids)

    @classmethod
    def load(cls, session: Session) -> _Neighbours:
        ids = list(session.scalars(select(Edition.id).order_by(*ARCHIVE_ORDER)))
        position = {edition_id: n for n, edition_id in enumerate(ids)}
        theme_pairs = session.execute(
            union(
                select(edition_themes.c.edition_id, edition_themes.c.theme_id),
                select(Link.edition_id, link_themes.c.theme_id).join(
                    link_themes, link_themes.c.link_id == Link.id
                ),
            )
        ).all()
        source_pairs = session.execute(
            select(Link.edition_id, Link.source_id).where(Link.section == "curated").distinct()
        ).all()
        of_edition: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        themes: defaultdict[int, list[int]] = defaultdict(list)
        sources: defaultdict[int, list[int]] = defaultdict(list)
        for edition_id, theme_id in theme_pairs:
            themes[theme_id].append(position[edition_id])
            of_edition[edition_id][0].append(theme_id)
        for edition_id, source_id in source_pairs:
            sources[source_id].append(position[edition_id])
            of_edition[edition_id][1].append(source_id)
        return cls(
            np.array(ids, dtype=np.int64),
            position,
            _as_arrays(themes),
            _as_arrays(sources),
            dict(of_edition),
        )

    def related(self, edition_id: int, limit: int) -> list[int]:
        """Return the ids of the `limit` editions with the most points, archive order breaking ties."""
        if edition_id not in self.position:
            return []
        points = np.zeros(len(self.ids), dtype=np.int64)
        themes, sources = self.of_edition.get(edition_id, ([], []))
        for theme_id in themes:
            points[self.themes[theme_id]] += THEME_WEIGHT
        for source_id in sources:
            points[self.sources[source_id]] += SOURCE_WEIGHT
        points[self.position[edition_id]] = 0
        candidates = np.flatnonzero(points)
        # Most points first; among equals the earlier position, which is archive order.
        best = candidates[np.lexsort((candidates, -points[candidates]))[:limit]]
        return [int(self.ids[n]) for n in best]


def _as_arrays(rows: dict[int, list[int]]) -> dict[int, npt.NDArray[np.int64]]:
    return {key: np.array(values, dtype=np.int64) for key, values in rows.items()}


_kept: dict[str, _Neighbours] = {}
_lock = threading.Lock()


def _neighbours(session: Session, version: str) -> _Neighbours:
    """Return the neighbours of the archive as it is now, built once per content version."""
    with _lock:
        found = _kept.get(version)
    if found is None:
        found = _Neighbours.load(session)
        with _lock:
            _kept.clear()
            _kept[version] = found
    return found


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
