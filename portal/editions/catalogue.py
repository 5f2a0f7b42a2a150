"""The theme catalogue: a committed YAML file the editor extends without code changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from portal.editions.frontmatter import LineMap, load_front_matter
from portal.editions.records import EditionFileError, Problem

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class ThemeEntry:
    """One theme of the catalogue."""

    slug: str
    name: str
    description: str
    keywords: tuple[str, ...] = ()


def load_catalogue(path: Path) -> list[ThemeEntry]:
    """Read and check the catalogue, or raise EditionFileError naming the bad lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise EditionFileError([Problem(path, 0, f"cannot read it: {error.strerror}")]) from None
    data = load_front_matter(text, path, first_line=1)
    entries = data.get("themes")
    if not isinstance(entries, list) or not all(isinstance(e, LineMap) for e in entries):
        raise EditionFileError(
            [Problem(path, data.line, "expected 'themes:' with a list of themes")]
        )
    problems: list[Problem] = []
    themes = [_entry(path, entry, problems) for entry in entries]
    slugs = [theme.slug for theme in themes]
    problems += [
        Problem(path, entry.line, f"theme '{theme.slug}' is listed twice")
        for n, (theme, entry) in enumerate(zip(themes, entries, strict=True))
        if theme.slug in slugs[:n]
    ]
    if problems:
        raise EditionFileError(problems)
    return themes


def _entry(path: Path, entry: LineMap, problems: list[Problem]) -> ThemeEntry:
    slug, name, description = (entry.get(key) for key in ("slug", "name", "description"))
    keywords = entry.get("keywords") or []
    if not (isinstance(slug, str) and _SLUG.match(slug)):
        problems.append(
            Problem(path, entry.line, "each theme needs a slug of lower-case words joined by '-'")
        )
    if not (isinstance(name, str) and name.strip() and isinstance(description, str)):
        problems.append(
            Problem(path, entry.line, "each theme needs a name and a description (text)")
        )
    if not (isinstance(keywords, list) and all(isinstance(k, str) for k in keywords)):
        problems.append(Problem(path, entry.line, "keywords must be a list of words"))
        keywords = []
    return ThemeEntry(
        str(slug), str(name).strip(), " ".join(str(description).split()), tuple(keywords)
    )
