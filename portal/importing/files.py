"""Finding edition files and reading each in the format it is written in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from portal.importing.formats.edition import MAX_FILE_BYTES
from portal.importing.formats.markdown import parse_markdown
from portal.importing.formats.plaintext import parse_plaintext
from portal.importing.formats.published import PUBLISHED_SUFFIXES, detect_form, parse_published
from portal.importing.formats.wxr import parse_wxr
from portal.importing.records import DocumentOutcome, EditionFileError, ParsedEdition, Problem

EDITION_SUFFIXES = (".md", ".markdown", ".txt", *PUBLISHED_SUFFIXES)


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
    """Read one edition file, Markdown or plain text (told apart by a leading '---')."""
    text = read_edition_text(path)
    if is_markdown(text):
        return parse_markdown(text, path)
    return parse_plaintext(text, path, date)


def read_edition_document(path: Path, date: dt.date | None = None) -> DocumentOutcome:
    """Read one file of any form (page, feed, export, Markdown, plain text), told by content."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            message = f"too large (the limit is {MAX_FILE_BYTES:,} bytes)"
            return DocumentOutcome(path, rejected=[Problem(path, None, message)])
        with path.open("rb") as stream:
            head = stream.read(8192)
    except OSError as error:
        return DocumentOutcome(
            path, rejected=[Problem(path, None, f"cannot read it: {error.strerror}")]
        )
    form = detect_form(head)
    if form == "wxr":
        # Streamed from the file: an export of the whole back catalogue is never held whole.
        with path.open("rb") as stream:
            return parse_wxr(stream, path)
    if form is not None:
        outcome = parse_published(path.read_bytes(), path)
        if outcome is not None:
            return outcome
    try:
        return DocumentOutcome(path, editions=[read_edition_file(path, date)])
    except EditionFileError as error:
        return DocumentOutcome(path, rejected=error.problems, one_file=True)


def is_markdown(text: str) -> bool:
    """Return whether an edition file's text is in the Markdown format (not plain text)."""
    return text.lstrip("\n").startswith("---")


def read_edition_text(path: Path) -> str:
    """Return an edition file's text: UTF-8, BOM dropped, every line ending made '\\n'."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise EditionFileError([Problem(path, 0, f"cannot read it: {error.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise EditionFileError([Problem(path, line, "not UTF-8 text")]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
