"""Find links with no theme (in edition files or records) and propose themes from the catalogue's keywords."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from portal.editions.catalogue import ThemeEntry
from portal.editions.checks import check_edition
from portal.editions.markdown import is_markdown, parse_markdown
from portal.editions.records import (
    EditionFileError,
    EditionRecord,
    LinkRecord,
    Problem,
    Section,
)
from portal.importing import read_edition_text


@dataclass(frozen=True)
class Proposal:
    """A theme proposed for a link, with the catalogue keywords found in the link's text."""

    slug: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class UntaggedLink:
    """A link with no theme, where it stands, and the themes proposed for it."""

    edition: str  # the edition's slug
    section: Section
    position: int
    headline: str
    proposals: tuple[Proposal, ...]
    # The edition file it was read from, and the link's line; None: read from the database.
    path: Path | None = None
    line: int = 0

    def where(self) -> str:
        """Return where the edition is: "path:line" of its file, or "edition <slug>"."""
        return f"{self.path}:{self.line}" if self.path else f"edition {self.edition}"

    def place(self) -> str:
        """Return where the link is, as a reader counts: "curated link 2", "recent post 1"."""
        kind = "curated link" if self.section is Section.CURATED else "recent post"
        return f"{kind} {self.position}"


@dataclass
class Survey:
    """What `themes suggest` found in edition files or in the database."""

    untagged: list[UntaggedLink] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    plain_text: list[Path] = field(default_factory=list)


class KeywordMatcher:
    """Finds the catalogue's keywords in text: whole words, any case, hyphens kept."""

    def __init__(self, catalogue: Iterable[ThemeEntry]) -> None:
        self.patterns = [
            (theme.slug, {word: _whole_word(word) for word in theme.keywords})
            for theme in catalogue
        ]

    def propose(self, text: str) -> tuple[Proposal, ...]:
        """Return the themes whose keywords occur in the text, most words matched first."""
        found = [
            Proposal(slug, tuple(word for word, pattern in words.items() if pattern.search(text)))
            for slug, words in self.patterns
        ]
        ranked = sorted((p for p in found if p.words), key=lambda p: -len(p.words))
        return tuple(ranked)


def _whole_word(word: str) -> re.Pattern[str]:
    # "api" must not match inside "rapid", and "risk" not inside "risk-averse".
    return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)


def words_of(link: LinkRecord) -> str:
    """Return the words of a link that keywords are looked for in."""
    return "\n".join((link.headline, *link.blurb, link.link_text))


def survey_files(
    files: Iterable[Path],
    catalogue: list[ThemeEntry],
    progress: Callable[[int], None] = lambda _n: None,
) -> Survey:
    """Read every file and list its links with no theme, with proposals; never writes."""
    survey = Survey()
    matcher = KeywordMatcher(catalogue)
    slugs = {theme.slug for theme in catalogue}
    for path in files:
        try:
            survey.untagged += _untagged_in(path, matcher, slugs, survey)
        except EditionFileError as error:
            survey.problems += error.problems
        progress(1)
    return survey


def _untagged_in(
    path: Path, matcher: KeywordMatcher, slugs: set[str], survey: Survey
) -> list[UntaggedLink]:
    text = read_edition_text(path)
    if not is_markdown(text):
        survey.plain_text.append(path)
        return []
    parsed = parse_markdown(text, path)
    problems = check_edition(parsed, slugs)
    if problems:
        raise EditionFileError(problems)
    return untagged_links(parsed.record, matcher, path, parsed.link_lines)


def untagged_links(
    record: EditionRecord,
    matcher: KeywordMatcher,
    path: Path | None = None,
    lines: dict[tuple[Section, int], int] | None = None,
) -> list[UntaggedLink]:
    """Return the record's links with no theme, with proposals (and lines, from a file)."""
    return [
        UntaggedLink(
            record.slug,
            section,
            n,
            link.headline,
            matcher.propose(words_of(link)),
            path,
            (lines or {}).get((section, n), 0),
        )
        for section, n, link in record.links()
        if not link.themes
    ]
