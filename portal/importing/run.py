"""An import run: validate every file first, then write each good one in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from portal.db import write_transaction
from portal.importing.catalogue import ThemeEntry
from portal.importing.files import read_edition_document
from portal.importing.records import DocumentOutcome, ParsedEdition, Problem, slugify
from portal.importing.store import EditionWriter, Outcome, SlugTaken, sync_themes

Progress = Callable[[int], None]


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


def check_edition(parsed: ParsedEdition, theme_slugs: set[str]) -> list[Problem]:
    """Return what stops a parsed edition from being stored: unknown themes, empty names."""
    record, path = parsed.record, parsed.path
    problems = [
        Problem(
            path,
            parsed.theme_lines.get(slug, 1),
            f"unknown theme '{slug}' (not in the theme catalogue)",
        )
        for slug in sorted(_theme_slugs(parsed) - theme_slugs)
    ]
    if not record.slug:
        problems.append(Problem(path, 1, "the title has no letters or digits to make a slug from"))
    elif record.slug.replace("-", "").isdigit():
        problems.append(
            Problem(path, 1, f"slug '{record.slug}' needs a letter (digits alone look like a year)")
        )
    for _section, n, link in record.links():
        if not slugify(link.source):
            problems.append(
                Problem(path, 1, f"link {n} '{link.headline}': the source has no letters or digits")
            )
    return problems


def _theme_slugs(parsed: ParsedEdition) -> set[str]:
    record = parsed.record
    return set(record.themes).union(*(link.themes for _s, _n, link in record.links()))


def validate_files(
    files: list[Path],
    theme_slugs: set[str],
    date: dt.date | None,
    progress: Progress,
    *,
    strict: bool = False,
) -> tuple[list[ParsedEdition], ImportReport]:
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
) -> tuple[list[ParsedEdition], ImportReport]:
    """Check parse outcomes (of files, or of a fetched feed); write nothing."""
    report = ImportReport()
    good: list[ParsedEdition] = []
    seen: dict[str, ParsedEdition] = {}
    for outcome in outcomes:
        _take(outcome, report)
        for parsed in outcome.editions:
            problems = check_edition(parsed, theme_slugs) + _strict(parsed, strict)
            first = seen.setdefault(parsed.record.slug, parsed)
            if first is not parsed and not same_post(first, parsed):
                message = f"slug '{parsed.record.slug}' is also used by {first.path}"
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


def same_post(first: ParsedEdition, second: ParsedEdition) -> bool:
    """Return whether two parsed editions are forms of one post (their origins agree)."""
    a, b = first.origin, second.origin
    if not (a.guid or a.permalink) and not (b.guid or b.permalink):
        return False
    return all(
        x is None or y is None or x == y for x, y in ((a.guid, b.guid), (a.permalink, b.permalink))
    )


def import_files(
    files: list[Path],
    catalogue: list[ThemeEntry],
    date: dt.date | None = None,
) -> ImportReport:
    """Import edition files: all are validated before any is written."""
    good, report = validate_files(files, {t.slug for t in catalogue}, date, lambda _n: None)
    write_editions(good, catalogue, report)
    return report


def import_documents(
    outcomes: Iterable[DocumentOutcome], catalogue: list[ThemeEntry], *, strict: bool = False
) -> ImportReport:
    """Check and store parse outcomes (pages, feeds, exports); the caller re-indexes.

    After it, call `portal.search.update_index(session)` when `report.changed_slugs`.
    """
    good, report = validate_documents(outcomes, {t.slug for t in catalogue}, strict=strict)
    write_editions(good, catalogue, report)
    return report


def write_editions(
    editions: Iterable[ParsedEdition],
    catalogue: list[ThemeEntry],
    report: ImportReport,
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
        except SlugTaken as error:
            report.reject([Problem(parsed.path, None, f"{_where(parsed)}{error}")])
            continue
        except SQLAlchemyError as error:
            writer = EditionWriter(session)
            report.reject(
                [
                    Problem(
                        parsed.path,
                        None,
                        f"{_where(parsed)}the database refused it: {error.__class__.__name__}",
                    )
                ]
            )
            continue
        _count(report, outcome, parsed.record.slug)


def _count(report: ImportReport, outcome: Outcome, slug: str) -> None:
    if outcome is Outcome.ADDED:
        report.added += 1
    elif outcome is Outcome.UPDATED:
        report.updated += 1
    else:
        report.unchanged += 1
        return
    report.changed_slugs.append(slug)
