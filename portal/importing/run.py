"""An import run: validate every file first, then write each good one in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from portal.db import write_transaction
from portal.importing.catalogue import ThemeEntry
from portal.importing.files import read_edition_file
from portal.importing.records import EditionFileError, ParsedEdition, Problem, slugify
from portal.importing.store import EditionWriter, Outcome, sync_themes

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
    files: list[Path], theme_slugs: set[str], date: dt.date | None, progress: Progress
) -> tuple[list[ParsedEdition], ImportReport]:
    """Parse and check every file, writing nothing; return the good ones and a report."""
    report = ImportReport()
    good: list[ParsedEdition] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            parsed = read_edition_file(path, date)
        except EditionFileError as error:
            report.reject(error.problems)
            continue
        finally:
            progress(1)
        problems = check_edition(parsed, theme_slugs)
        first = seen.setdefault(parsed.record.slug, path)
        if first != path:
            problems.append(
                Problem(path, 1, f"slug '{parsed.record.slug}' is also used by {first}")
            )
        if problems:
            report.reject(problems)
        else:
            good.append(parsed)
    return good, report


def import_files(
    files: list[Path],
    catalogue: list[ThemeEntry],
    date: dt.date | None = None,
) -> ImportReport:
    """Import edition files: all are validated before any is written."""
    good, report = validate_files(files, {t.slug for t in catalogue}, date, lambda _n: None)
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
                outcome = writer.save(parsed.record)
        except SQLAlchemyError as error:
            writer = EditionWriter(session)
            report.reject(
                [Problem(parsed.path, 1, f"the database refused it: {error.__class__.__name__}")]
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
