"""Finding edition files and reading each in the format it is written in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from portal.editions.markdown import is_markdown
from portal.editions.records import DocumentOutcome, EditionFileError, ParsedEdition, Problem
from portal.importing.formats import HEAD_BYTES, decode_text, parse_document, parse_edition
from portal.importing.formats.edition import MAX_FILE_BYTES, too_big

# What a folder yields; a file named on the command line is read whatever its name.
EDITION_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".xml", ".rss", ".atom")
MARKDOWN_SUFFIXES = (".md", ".markdown")


def collect_edition_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Return the edition files named or found in folders, and a Problem per missing path."""
    files, problems, _passed_over = collect_documents(paths)
    return files, problems


def collect_documents(paths: list[Path]) -> tuple[list[Path], list[Problem], list[str]]:
    """Return the edition files named or found in folders, a Problem per missing path, and
    a line for each file of a folder passed over (a README, Markdown without front matter)."""
    files: list[Path] = []
    problems: list[Problem] = []
    passed_over: list[str] = []
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if _is_edition_file(p)):
                reason = _not_an_edition(found)
                if reason:
                    passed_over.append(f"{found}: {reason}")
                else:
                    files.append(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(path, 0, "no such file or folder"))
    return files, problems, passed_over


def _is_edition_file(path: Path) -> bool:
    # Dot-files may sit beside editions; they are never editions.
    return (
        path.is_file() and path.suffix.lower() in EDITION_SUFFIXES and not path.name.startswith(".")
    )


def _not_an_edition(path: Path) -> str | None:
    """Return why a file found in a folder is passed over, or None to read it."""
    if path.name.upper().startswith("README"):
        return "a README (not an edition)"
    if path.suffix.lower() not in MARKDOWN_SUFFIXES:
        return None
    try:
        with path.open("rb") as stream:
            head = stream.read(HEAD_BYTES)
    except OSError:
        return None  # reading it reports why
    if is_markdown(head.decode("utf-8-sig", errors="replace").replace("\r", "\n")):
        return None
    return "Markdown without edition front matter (not an edition)"


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
