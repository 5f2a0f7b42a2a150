"""What the index hands back: frozen dataclasses, never a Whoosh object."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Sort(StrEnum):
    """The orders a reader can ask for."""

    RELEVANCE = "relevance"
    NEWEST = "newest"


@dataclass(frozen=True)
class SearchRequest:
    """A reader's search: the query text, optional filters, order and page."""

    q: str = ""
    theme: str | None = None
    year: str | None = None
    source: str | None = None
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    page_size: int = 20

    def has_filters(self) -> bool:
        """Return whether any filter narrows the search."""
        return bool(self.theme or self.year or self.source)


@dataclass(frozen=True)
class Hit:
    """One matching edition or link. `snippet` is escaped HTML whose only tags are <mark>."""

    kind: str
    edition_slug: str
    edition_title: str
    edition_date: str | None
    title: str
    snippet: str
    themes: tuple[str, ...] = ()
    section: str | None = None
    position: int | None = None
    source: str | None = None
    source_slug: str | None = None
    author: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SearchResults:
    """One page of results, the total, facet counts and a spelling suggestion."""

    request: SearchRequest
    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    suggestion: str | None = None
    # The index build and generation that answered: the same request and version give the
    # same results, so a page rendered from them can be kept.
    version: str = ""

    @property
    def pages(self) -> int:
        """Return how many pages the results fill (at least one)."""
        size = self.request.page_size
        return max(1, -(-self.total // size))
