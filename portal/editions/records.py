"""Plain records that every importer produces and the database layer consumes.

Parsers know nothing of SQLAlchemy; the store knows nothing of file formats.
Both meet here, in frozen dataclasses that compare by value, so "has this
edition changed?" is a plain equality test.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Section(StrEnum):
    """Where a link stands in an edition."""

    CURATED = "curated"
    RECENT_POST = "recent_post"


@dataclass(frozen=True)
class LinkRecord:
    """One curated link or recent post, as a reader sees it."""

    headline: str
    blurb: tuple[str, ...]
    link_text: str
    source: str
    author: str | None = None
    url: str | None = None
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EditionRecord:
    """One edition: everything the archive keeps about it."""

    slug: str
    title: str
    date: dt.date | None
    highlights: tuple[str, ...]
    intro: tuple[str, ...]
    curated: tuple[LinkRecord, ...]
    recent_posts: tuple[LinkRecord, ...] = ()
    themes: tuple[str, ...] = ()

    def links(self) -> list[tuple[Section, int, LinkRecord]]:
        """Return every link with its section and 1-based position."""
        return [(Section.CURATED, n, link) for n, link in enumerate(self.curated, 1)] + [
            (Section.RECENT_POST, n, link) for n, link in enumerate(self.recent_posts, 1)
        ]


@dataclass(frozen=True)
class Problem:
    """What is wrong with an edition file, and where."""

    path: Path
    line: int | None  # None: the whole file, or an item of a feed or export named in the message
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class EditionFileError(Exception):
    """An edition file that cannot be imported; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Origin:
    """Where an edition came from on the WordPress site: the post's GUID and permalink."""

    guid: str | None = None
    permalink: str | None = None


@dataclass(frozen=True)
class ParsedEdition:
    """An edition read from a file, with the lines its theme tags stand on."""

    path: Path
    record: EditionRecord
    # Theme slug -> first line naming it, so an unknown theme is reported in place.
    theme_lines: dict[str, int] = field(default_factory=dict, compare=False)
    # (section, position) -> the line a link starts on (Markdown files only).
    link_lines: dict[tuple[Section, int], int] = field(default_factory=dict, compare=False)
    origin: Origin = Origin()
    # Forms from WordPress carry no themes: a re-import keeps the themes tagged in the portal.
    carries_themes: bool = True
    # Where in the file it stood, for messages: "item 'Title'" (feeds and exports).
    item: str = ""
    # What reading it dropped beyond the known boilerplate (see docs/editions.md "Warnings").
    warnings: tuple[str, ...] = ()


@dataclass
class DocumentOutcome:
    """What parsing one page, feed or export gave: editions, skipped posts, rejected items."""

    path: Path
    editions: list[ParsedEdition] = field(default_factory=list)
    # Published posts that are not editions, by title: "skipped: 'Title' (not an edition)".
    skipped: list[str] = field(default_factory=list)
    # Items that could not be read, one Problem each; the others still import.
    rejected: list[Problem] = field(default_factory=list)
    # True when `rejected` lists several problems of one file (Markdown, plain text).
    one_file: bool = False


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Return a URL slug: lower-case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
