"""Theme tagging of the editions in the database, whatever form each was imported from.

Accepted tags are stored by `EditionWriter.tag_links`, which saves the edition as an import
does: its content hash changes, `portal.search.content_changed` re-indexes it, and the change
is marked as any import's is (pages, feeds and caches see it at once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import search
from portal.db import write_transaction
from portal.editions.catalogue import ThemeEntry
from portal.editions.store import (
    EditionWriter,
    Outcome,
    all_edition_records,
    edition_record,
    sync_themes,
)
from portal.models import Edition, Link
from portal.tagging.suggest import KeywordMatcher, Survey, UntaggedLink, untagged_links

Accepted = dict[str, dict[UntaggedLink, list[str]]]


@dataclass
class TagReport:
    """What storing accepted themes did: links tagged, editions changed, or why nothing was."""

    links: int = 0
    changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # After the write: editions re-indexed and removed, or why the index was not updated.
    reindexed: tuple[int, int] = (0, 0)
    index_problem: str | None = None


def survey_database(session: Session, catalogue: list[ThemeEntry]) -> Survey:
    """List the links with no theme of every edition in the database, with proposals."""
    matcher = KeywordMatcher(catalogue)
    survey = Survey()
    for record in all_edition_records(session):
        survey.untagged += untagged_links(record, matcher)
    return survey


def store_accepted(
    accepted: Iterable[tuple[UntaggedLink, str]], catalogue: list[ThemeEntry]
) -> TagReport:
    """Store each accepted (link, theme slug) in one transaction: all of them, or none."""
    by_edition: Accepted = defaultdict(lambda: defaultdict(list))
    for link, slug in accepted:
        by_edition[link.edition][link].append(slug)
    report = TagReport()
    with write_transaction() as session:
        editions = _editions(session, list(by_edition))
        report.problems = [
            problem
            for slug, links in by_edition.items()
            for problem in _moved_on(editions.get(slug), slug, links)
        ]
        if not report.problems:
            _tag(session, editions, by_edition, catalogue, report)
    if report.changed:
        _reindex(session, report)
    return report


def _reindex(session: Session, report: TagReport) -> None:
    """Bring the search index up to the tags just stored, through the one entry point."""
    try:
        changed, removed = search.content_changed(session)
    except search.IndexBusy as error:
        report.index_problem = str(error)
        return
    report.reindexed = (len(changed), len(removed))


def _editions(session: Session, slugs: list[str]) -> dict[str, Edition]:
    options = (selectinload(Edition.themes), selectinload(Edition.links).selectinload(Link.themes))
    query = select(Edition).where(Edition.slug.in_(slugs)).options(*options)
    return {edition.slug: edition for edition in session.scalars(query)}


def _moved_on(edition: Edition | None, slug: str, links: Iterable[UntaggedLink]) -> list[str]:
    """Return why links read earlier are no longer where they were (an import came between)."""
    again = "; run `flask themes suggest` again"
    if edition is None:
        return [f"edition {slug}: no longer in the database{again}"]
    record = edition_record(edition)
    stored = {(section, n): link.headline for section, n, link in record.links()}
    return [
        f"edition {slug}, {link.place()}: now {stored.get((link.section, link.position))!r}, "
        f"not {link.headline!r}{again}"
        for link in links
        if stored.get((link.section, link.position)) != link.headline
    ]


def _tag(
    session: Session,
    editions: dict[str, Edition],
    by_edition: Accepted,
    catalogue: list[ThemeEntry],
    report: TagReport,
) -> None:
    sync_themes(session, catalogue)
    writer = EditionWriter(session)
    for slug, links in by_edition.items():
        tags = {(link.section, link.position): slugs for link, slugs in links.items()}
        if writer.tag_links(editions[slug], tags) is not Outcome.UNCHANGED:
            report.changed.append(slug)
            report.links += len(links)
