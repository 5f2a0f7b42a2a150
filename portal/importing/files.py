"""Finding edition files and reading each in the format it is written in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from portal.editions.records import DocumentOutcome, EditionFileError, ParsedEdition, Problem
from portal.importing.formats import decode_text, parse_document, parse_edition
from portal.importing.formats.edition import MAX_FILE_BYTES, too_big

# What a folder yields; a file named on the command line is read whatever its name.
EDITION_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".xml", ".rss", ".atom")


def collect_edition_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Return the edition files named or found in folders, and a Problem per missing path."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if _is_edition_file(p)))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(path, 0, "no such file or folder"))
    return files, problems


def _is_edition_file(path: Path) -> bool:
    # READMEs and dot-files may sit beside editions; they are never editions.
    name = path.name
    return (
        path.is_file()
        and path.suffix.lower() in EDITION_SUFFIXES
        and not name.startswith(".")
        and not name.upper().startswith("README")
    )


def read_edition_file(path: Path, date: dt.date | None = None) -> ParsedEdition:
    """Read one edition file written as Markdown or plain text, or raise EditionFileError."""
    return parse_edition(read_edition_text(path), path, date)


def read_edition_document(path: Path, date: dt.date | None = None) -> DocumentOutcome:
    """Read one file of any form (page, feed, export, Markdown, plain text), told by content."""
    try:
        if problem := too_big(path, path.stat().st_size, MAX_FILE_BYTES):
            return DocumentOutcome(path, rejected=[problem])
        with path.open("rb") as stream:
            return parse_document(stream, path, date)
    except OSError as error:
        return DocumentOutcome(
            path, rejected=[Problem(path, None, f"cannot read it: {error.strerror}")]
        )


def read_edition_text(path: Path) -> str:
    """Return an edition file's text: UTF-8, BOM dropped, every line ending made '\\n'."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise EditionFileError([Problem(path, 0, f"cannot read it: {error.strerror}")]) from None
    return decode_text(raw, path)
