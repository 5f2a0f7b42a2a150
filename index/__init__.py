"""The portal's search library: Whoosh behind a small dataclass API.

Documents go in as EditionDocument / LinkDocument; results come out as frozen
SearchResults / Hit. No Whoosh object leaves this package, and nothing here
imports Flask, SQLAlchemy or the portal.
"""

from index.documents import EditionDocument, LinkDocument
from index.marking import highlight_terms, highlight_words, mark
from index.query import QueryError
from index.results import Hit, SearchRequest, SearchResults, Sort
from index.schema import SCHEMA_VERSION
from index.searching import SearchIndex
from index.status import IndexStatus, IndexSummary, status, summary
from index.storage import (
    IndexBusy,
    IndexUnavailable,
    indexed_revision,
    rebuild,
    update,
)

__all__ = [
    "SCHEMA_VERSION",
    "EditionDocument",
    "Hit",
    "IndexBusy",
    "IndexStatus",
    "IndexSummary",
    "IndexUnavailable",
    "LinkDocument",
    "QueryError",
    "SearchIndex",
    "SearchRequest",
    "SearchResults",
    "Sort",
    "highlight_terms",
    "highlight_words",
    "indexed_revision",
    "mark",
    "rebuild",
    "status",
    "summary",
    "update",
]
