"""The one adapter between the portal and the `index` library.

It turns database editions into index documents, drives the index lifecycle for
the CLI, and answers searches for the views. Web requests only ever read. Nothing else
in the portal imports `index`: the names below are the index's vocabulary the views,
the commands and the health report use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

import index
from index import (
    SCHEMA_VERSION,
    Hit,
    IndexBusy,
    IndexSummary,
    IndexUnavailable,
    QueryError,
    SearchRequest,
    SearchResults,
    Sort,
)
from portal import caching, revision
from portal.editions import paragraphs
from portal.models import Edition, Link, Source, Theme

__all__ = [
    "SCHEMA_VERSION",
    "Hit",
    "IndexBusy",
    "IndexSummary",
    "IndexUnavailable",
    "QueryError",
    "SearchRequest",
    "SearchResults",
    "Sort",
    "catch_up",
    "check_index",
    "facet_names",
    "get_search_index",
    "highlight_param",
    "highlight_terms",
    "index_behind",
    "index_folder",
    "index_summary",
    "mark",
    "rebuild_index",
    "update_index",
]

BATCH = 200
_NAMES = "portal.search.names"
# An edition's themes, links and the links' themes, loaded with it in a few queries a batch.
WITH_LINKS = (selectinload(Edition.themes), selectinload(Edition.links).selectinload(Link.themes))


def index_folder(app: Flask | None = None) -> Path:
    """Return the folder the index lives in (PORTAL_INDEX_DIR, default instance/index)."""
    app = app or current_app
    configured = app.config["INDEX_DIR"]
    return Path(configured) if configured else Path(app.instance_path) / "index"


def index_summary() -> IndexSummary:
    """Return what the live index holds and when it was written; raise IndexUnavailable."""
    return index.summary(index_folder())


def get_search_index() -> index.SearchIndex:
    """Return this process's SearchIndex, made on first use (after any fork)."""
    state = current_app.extensions.setdefault("portal.search", {})
    if "index" not in state:
        state["index"] = index.SearchIndex(index_folder())
    search_index: index.SearchIndex = state["index"]
    return search_index


def _document(edition: Edition) -> index.EditionDocument:
    return index.EditionDocument(
        slug=edition.slug,
        title=edition.title,
        date=edition.date,
        highlights=tuple(edition.highlights),
        intro=tuple(paragraphs.plain_text(p) for p in edition.intro),
        themes=tuple(theme.slug for theme in edition.themes),
        content_hash=edition.content_hash,
        links=tuple(_link_document(link) for link in edition.links),
    )


def _link_document(link: Link) -> index.LinkDocument:
    return index.LinkDocument(
        section=link.section,
        position=link.position,
        headline=link.headline,
        blurb=tuple(paragraphs.plain_text(p) for p in link.blurb),
        link_text=link.link_text,
        source=link.source.name,
        source_slug=link.source.slug,
        author=link.author,
        url=link.url,
        themes=tuple(theme.slug for theme in link.themes),
    )


def edition_documents(session: Session, slugs: list[str]) -> Iterator[index.EditionDocument]:
    """Yield the index documents of these editions, loading them in batches."""
    for start in range(0, len(slugs), BATCH):
        batch = slugs[start : start + BATCH]
        query = select(Edition).where(Edition.slug.in_(batch)).options(*WITH_LINKS)
        yield from (_document(edition) for edition in session.scalars(query))


def all_edition_documents(session: Session) -> Iterator[index.EditionDocument]:
    """Yield every edition's index documents in slug order, loading BATCH editions at a time.

    Each batch starts after the last slug of the one before (no list of every slug, no cursor
    held open between batches), so a rebuild holds one batch whatever the archive's size.
    """
    last: str | None = None
    while True:
        query = select(Edition).order_by(Edition.slug).limit(BATCH).options(*WITH_LINKS)
        if last is not None:
            query = query.where(Edition.slug > last)
        editions = session.scalars(query).all()
        yield from (_document(edition) for edition in editions)
        if len(editions) < BATCH:
            return
        last = editions[-1].slug


def database_hashes(session: Session) -> dict[str, str]:
    """Return {slug: content hash} of every edition in the database."""
    return dict(session.execute(select(Edition.slug, Edition.content_hash)).all())


def rebuild_index(session: Session, progress: Callable[[int], None] = lambda _n: None) -> int:
    """Build the whole index from the database beside the live one and swap it in."""
    number = revision.current(session)  # first: what is read next is at least this new
    documents = all_edition_documents(session)
    return index.rebuild(index_folder(), documents, progress, revision=number)


def update_index(session: Session) -> tuple[list[str], list[str]]:
    """Re-index the editions that changed since the index was written; build it if missing."""
    try:
        return _update(session, only_if_behind=False)
    except index.IndexUnavailable:
        pass
    # Out of the handler: its traceback would keep _update's hashes of every edition alive.
    rebuild_index(session)
    return sorted(database_hashes(session)), []


def catch_up(session: Session) -> tuple[list[str], list[str]]:
    """Bring an existing index up to the database's revision, unless another process did."""
    return _update(session, only_if_behind=True)


def _update(session: Session, *, only_if_behind: bool) -> tuple[list[str], list[str]]:
    number = revision.current(session)  # first: the hashes read next are at least this new
    wanted = database_hashes(session)
    load = functools.partial(edition_documents, session)
    return index.update(index_folder(), wanted, load, number, only_if_behind=only_if_behind)


def index_behind(database_revision: int) -> bool:
    """Return whether this host's index exists (of this schema) and reflects an older revision."""
    try:
        indexed = index.indexed_revision(index_folder())
    except index.IndexUnavailable:
        return False  # none to catch up: `flask index rebuild` / `update` makes one
    return indexed is None or indexed < database_revision


def check_index(session: Session) -> list[str]:
    """Return what disagrees between the database and the index (empty when they agree)."""
    found = index.status(index_folder())
    wanted = database_hashes(session)
    links = session.scalar(select(func.count(Link.id))) or 0
    problems = []
    if found.schema_version != index.SCHEMA_VERSION:
        problems.append(f"schema version {found.schema_version}, expected {index.SCHEMA_VERSION}")
    if (found.editions, found.links) != (len(wanted), links):
        problems.append(
            f"{found.editions} editions and {found.links} links indexed, "
            f"{len(wanted)} and {links} in the database"
        )
    stale = sorted(slug for slug, digest in wanted.items() if found.hashes.get(slug) != digest)
    if stale:
        problems.append(f"{len(stale)} editions out of date, e.g. {', '.join(stale[:3])}")
    return problems


def facet_names(session: Session, results: index.SearchResults) -> dict[str, dict[str, str]]:
    """Return display names for the theme and source slugs in the results' facets and hits."""
    theme_slugs = {slug for slug, _n in results.facets.get("theme", ())}
    theme_slugs.update(*(hit.themes for hit in results.hits))
    source_slugs = {slug for slug, _n in results.facets.get("source", ())}
    every = _every_name(session)
    return {
        "theme": {slug: every["theme"][slug] for slug in theme_slugs if slug in every["theme"]},
        "source": {slug: every["source"][slug] for slug in source_slugs if slug in every["source"]},
    }


def _every_name(session: Session) -> dict[str, dict[str, str]]:
    """Return every theme's and source's name, read again only when the content version
    changed (a few hundred rows; two queries on every search before). A write to themes or
    sources advances the version; each worker asks for it at most every CONTENT_CHECK_SECONDS."""
    version = caching.content_version().token
    kept = current_app.extensions.get(_NAMES)
    if kept is None or kept[0] != version:
        themes = dict(session.execute(select(Theme.slug, Theme.name)).all())
        sources = dict(session.execute(select(Source.slug, Source.name)).all())
        kept = current_app.extensions[_NAMES] = (version, {"theme": themes, "source": sources})
    names: dict[str, dict[str, str]] = kept[1]
    return names


def highlight_param(query: str) -> str:
    """Return the `?hl=` value that lands a result on its edition: the query's wanted words."""
    return " ".join(index.highlight_words(query))


def highlight_terms(hl: str) -> frozenset[str]:
    """Return the index terms of a `?hl=` value (bounded; unwanted words and fields dropped)."""
    return index.highlight_terms(hl)


def mark(text: str, terms: frozenset[str]) -> str:
    """Return text escaped, with the terms' words in <mark> (the HTML is safe to mark so)."""
    return index.mark(text, terms)
