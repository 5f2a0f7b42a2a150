"""An import run: validate every file first, then write each good one in its own transaction,
then bring the search index up to date through the search adapter.

What passed the checks waits in an EditionSpool (pickled, on disk when large), not in a list,
and the writes hold no edition after its transaction: memory does not grow with the archive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from portal import revision, search
from portal.db import get_session, write_transaction
from portal.editions.catalogue import ThemeEntry
from portal.editions.checks import check_edition
from portal.editions.records import DocumentOutcome, Origin, ParsedEdition, Problem
from portal.editions.store import EditionWriter, Outcome, SlugTaken, sync_themes
from portal.importing.files import collect_documents, read_edition_document
from portal.importing.spool import EditionSpool

Progress = Callable[[int], None]


class Bar(Protocol):
    """A progress bar: told how many more items are done."""

    def update(self, n_steps: int) -> None: ...


# Makes the bar of a stage ("Checking ", "Importing") of so many items; click.progressbar fits.
Stages = Callable[..., AbstractContextManager[Bar]]


class _Silent:
    def update(self, n_steps: int) -> None:
        """Show nothing."""


def quiet(label: str, length: int) -> AbstractContextManager[Bar]:
    """Return a progress bar that shows nothing."""
    return nullcontext(_Silent())


@dataclass
class ImportReport:
    """What an import run did, file by file."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    changed_slugs: list[str] = field(default_factory=list)
    # "file: item 'Title': dropped ..." for what an import left out (see README "Warnings").
    warnings: list[str] = field(default_factory=list)
    # "'Title' (not an edition)" for published posts without the curated links.
    skipped: list[str] = field(default_factory=list)
    # Paths named on the command line that do not exist.
    missing: list[Problem] = field(default_factory=list)
    # After the writes: editions re-indexed and removed, or why the index was not updated.
    reindexed: tuple[int, int] = (0, 0)
    index_problem: str | None = None

    def reject(self, problems: list[Problem]) -> None:
        """Count one rejected file and keep what was wrong with it."""
        self.rejected += 1
        self.problems.extend(problems)

    def summary(self) -> str:
        """Return the one-line summary printed at the end of an import."""
        return (
            f"{self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected"
        )

    def failure(self) -> str | None:
        """Return the closing error line (what was not imported, counted right), or None."""
        parts = []
        if self.rejected:
            files = len({problem.path for problem in self.problems})
            parts.append(f"{self.rejected} rejected in {_count_of(files, 'file')}")
        if self.missing:
            parts.append(f"{_count_of(len(self.missing), 'path')} not found")
        if not parts:
            return None
        return f"{'; '.join(parts)}; fix the lines above and import again."


def _count_of(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def validate_files(
    files: list[Path],
    theme_slugs: set[str],
    date: dt.date | None,
    progress: Progress,
    *,
    strict: bool = False,
) -> tuple[EditionSpool, ImportReport]:
    """Parse and check every file, writing nothing; return the good editions and a report.

    A feed or export is a batch: a bad item is rejected with its reason, the others go on.
    With `strict`, an edition whose import dropped anything is rejected instead of warned.
    """
    return validate_documents(_read_all(files, date, progress), theme_slugs, strict=strict)


def _read_all(
    files: list[Path], date: dt.date | None, progress: Progress
) -> Iterator[DocumentOutcome]:
    for path in files:
        yield read_edition_document(path, date)
        progress(1)


def validate_documents(
    outcomes: Iterable[DocumentOutcome], theme_slugs: set[str], *, strict: bool = False
) -> tuple[EditionSpool, ImportReport]:
    """Check parse outcomes (of files, or of a fetched feed); write nothing."""
    report = ImportReport()
    good = EditionSpool()
    # The first file of each slug and its origin: enough to tell a second form of one post.
    seen: dict[str, tuple[Path, Origin]] = {}
    for outcome in outcomes:
        _take(outcome, report)
        for parsed in outcome.editions:
            problems = check_edition(parsed, theme_slugs) + _strict(parsed, strict)
            first = seen.get(parsed.record.slug)
            if first is None:
                seen[parsed.record.slug] = (parsed.path, parsed.origin)
            elif not same_post(first[1], parsed.origin):
                message = f"slug '{parsed.record.slug}' is also used by {first[0]}"
                problems.append(Problem(parsed.path, 1, message))
            if problems:
                report.reject(problems)
            else:
                report.warnings.extend(
                    f"{parsed.path}: {_where(parsed)}{w}" for w in parsed.warnings
                )
                good.append(parsed)
    return good, report


def _take(outcome: DocumentOutcome, report: ImportReport) -> None:
    report.skipped.extend(outcome.skipped)
    if outcome.one_file and outcome.rejected:
        report.reject(outcome.rejected)
        return
    for problem in outcome.rejected:
        report.reject([problem])


def _where(parsed: ParsedEdition) -> str:
    return f"{parsed.item}: " if parsed.item else ""


def _strict(parsed: ParsedEdition, strict: bool) -> list[Problem]:
    if not strict:
        return []
    return [Problem(parsed.path, None, f"{_where(parsed)}{w} (--strict)") for w in parsed.warnings]


def same_post(a: Origin, b: Origin) -> bool:
    """Return whether two editions' origins agree, so that they are forms of one post."""
    if not (a.guid or a.permalink) and not (b.guid or b.permalink):
        return False
    return all(
        x is None or y is None or x == y for x, y in ((a.guid, b.guid), (a.permalink, b.permalink))
    )


def import_paths(
    paths: list[Path],
    catalogue: list[ThemeEntry],
    *,
    date: dt.date | None = None,
    strict: bool = False,
    stages: Stages = quiet,
) -> ImportReport:
    """Import the edition files named or found in folders: check all, write, re-index."""
    files, missing, passed_over = collect_documents(paths)
    slugs = {t.slug for t in catalogue}
    with stages("Checking ", length=len(files)) as bar:
        good, report = validate_files(files, slugs, date, bar.update, strict=strict)
    report.missing = missing
    report.skipped[:0] = passed_over
    with good, stages("Importing", length=len(good)) as bar:
        write_editions(good, catalogue, report, bar.update)
    return reindex(report)


def import_files(
    files: list[Path],
    catalogue: list[ThemeEntry],
    date: dt.date | None = None,
) -> ImportReport:
    """Check and write edition files, leaving the index alone (for benchmarks and tests)."""
    good, report = validate_files(files, {t.slug for t in catalogue}, date, lambda _n: None)
    with good:
        write_editions(good, catalogue, report)
    return report


def import_documents(
    outcomes: Iterable[DocumentOutcome], catalogue: list[ThemeEntry], *, strict: bool = False
) -> ImportReport:
    """Check, store and re-index parse outcomes (of a fetched feed, or parsed by the caller)."""
    good, report = validate_documents(outcomes, {t.slug for t in catalogue}, strict=strict)
    with good:
        write_editions(good, catalogue, report)
    return reindex(report)


def reindex(report: ImportReport) -> ImportReport:
    """Bring the search index up to date with what the import changed; note it in the report."""
    # A theme-only change moves the content revision too: record it, or /healthz says stale.
    if not report.changed_slugs and not search.index_behind(revision.current(get_session())):
        return report
    try:
        changed, removed = search.content_changed(get_session())
    except search.IndexBusy as error:
        report.index_problem = str(error)
        return report
    report.reindexed = (len(changed), len(removed))
    return report


def write_editions(
    editions: Iterable[ParsedEdition],
    catalogue: list[ThemeEntry],
    report: ImportReport,
    progress: Progress = lambda _n: None,
) -> None:
    """Store validated editions, one write transaction each, counting outcomes in the report.

    Each transaction takes SQLite's write lock up front (portal.db.write_transaction), so an
    import never fails with "database is locked" against sign-ups in the web workers.
    """
    with write_transaction() as session:
        sync_themes(session, catalogue)
    writer = EditionWriter(session)
    for parsed in editions:
        try:
            with write_transaction():
                outcome = writer.save_parsed(parsed)
        except (SlugTaken, SQLAlchemyError) as error:
            if isinstance(error, SQLAlchemyError):
                writer = EditionWriter(session)  # its caches may hold rolled-back rows
            report.reject([Problem(parsed.path, None, f"{_where(parsed)}{_refusal(error)}")])
        else:
            _count(report, outcome, parsed.record.slug)
        progress(1)


def _refusal(error: Exception) -> str:
    if isinstance(error, SlugTaken):
        return str(error)
    return f"the database refused it: {error.__class__.__name__}"


def _count(report: ImportReport, outcome: Outcome, slug: str) -> None:
    if outcome is Outcome.ADDED:
        report.added += 1
    elif outcome is Outcome.UPDATED:
        report.updated += 1
    else:
        report.unchanged += 1
        return
    report.changed_slugs.append(slug)
