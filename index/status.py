"""What the live index holds, for `flask index status` and the health checks: reads only
(index/storage.py writes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from whoosh.query import Term

from index.meta import build_revision, schema_version
from index.storage import IndexUnavailable, indexed_hashes, open_live


@dataclass(frozen=True)
class IndexStatus:
    """What `check` found: document counts by kind, schema version and stale editions."""

    editions: int
    links: int
    schema_version: int | None
    hashes: dict[str, str]


def status(folder: Path) -> IndexStatus:
    """Return the document counts, schema version and edition hashes of the live index."""
    build, ix = open_live(folder, any_schema=True)
    version = schema_version(build)
    with ix.searcher() as searcher:
        editions = len(list(searcher.docs_for_query(Term("kind", "edition"))))
        links = len(list(searcher.docs_for_query(Term("kind", "link"))))
    hashes = indexed_hashes(ix)
    ix.close()
    return IndexStatus(editions, links, version, hashes)


@dataclass(frozen=True)
class IndexSummary:
    """A cheap look at the live build, for health checks: no stored field is read."""

    build: str
    schema_version: int | None
    documents: int
    updated_at: dt.datetime
    revision: int | None


def summary(folder: Path) -> IndexSummary:
    """Return the live build's schema version, document count and last write, or raise IndexUnavailable."""
    build, ix = open_live(folder, any_schema=True)
    try:
        with ix.searcher() as searcher:  # opens every segment, so a damaged one is noticed
            documents = searcher.doc_count()
        newest = max(path.stat().st_mtime for path in build.iterdir())
    except Exception as error:  # Whoosh raises many kinds for a damaged index
        raise IndexUnavailable(f"the index in {build} cannot be read: {error}") from error
    finally:
        ix.close()
    updated = dt.datetime.fromtimestamp(newest, dt.UTC)
    return IndexSummary(
        build.name, schema_version(build), documents, updated, build_revision(build)
    )
