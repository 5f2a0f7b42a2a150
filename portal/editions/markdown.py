"""The archive's own edition format: Markdown with YAML front matter.

The front matter carries the edition's fields and its links; the Markdown body
is the intro, one paragraph per blank-line separated block. docs/editions.md shows a
complete example. `render_markdown` and `parse_markdown` round-trip exactly.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from portal.editions.frontmatter import LineMap, load_front_matter, split_front_matter
from portal.editions.records import (
    EditionFileError,
    EditionRecord,
    LinkRecord,
    Origin,
    ParsedEdition,
    Problem,
    Section,
    slugify,
)

EDITION_KEYS = (
    "slug", "title", "date", "guid", "permalink", "themes", "highlights", "curated", "recent_posts",
)  # fmt: skip
LINK_KEYS = ("headline", "blurb", "link_text", "url", "author", "source", "themes")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL = re.compile(r"^(https?://[^\s/$.?#]|mailto:)[^\s]*$", re.IGNORECASE)


class _Checker:
    """Reads typed values out of LineMaps, collecting a Problem for each bad one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.theme_lines: dict[str, int] = {}
        self.link_lines: dict[tuple[Section, int], int] = {}

    def report(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def keys(self, data: LineMap, allowed: tuple[str, ...], what: str) -> None:
        for key in data:
            if key not in allowed:
                self.report(
                    data.key_lines[key],
                    f"unknown key '{key}' in {what} (allowed: {', '.join(allowed)})",
                )

    def text(self, data: LineMap, key: str, *, required: bool = True) -> str | None:
        value = data.get(key)
        line = data.key_lines.get(key, data.line)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.report(line, f"'{key}' is required")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.report(line, f"'{key}' must be text (put it in quotes)")
            return None
        return " ".join(str(value).split())

    def texts(self, data: LineMap, key: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        line = data.key_lines[key]
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            self.report(line, f"'{key}' must be a list of non-empty texts")
            return ()
        return tuple(" ".join(item.split()) for item in items)

    def themes(self, data: LineMap) -> tuple[str, ...]:
        slugs = self.texts(data, "themes")
        for slug in slugs:
            self.theme_lines.setdefault(slug, data.key_lines["themes"])
        return tuple(sorted(set(slugs)))


def is_markdown(text: str) -> bool:
    """Return whether an edition's text is in the Markdown form: front matter after a `---` line."""
    return text.lstrip("\r\n").startswith("---")


def parse_markdown(text: str, path: Path) -> ParsedEdition:
    """Parse an edition file in the archive format, or raise EditionFileError."""
    front, body = split_front_matter(text, path)
    data = load_front_matter(front, path)
    check = _Checker(path)
    check.keys(data, EDITION_KEYS, "the edition")
    title = check.text(data, "title")
    record = EditionRecord(
        slug=_slug(check, data, title),
        title=title or "",
        date=_date(check, data),
        highlights=check.texts(data, "highlights"),
        intro=_paragraphs(body),
        curated=_links(check, data, "curated", required=True),
        recent_posts=_links(check, data, "recent_posts", required=False),
        themes=check.themes(data),
    )
    if check.problems:
        raise EditionFileError(check.problems)
    origin = Origin(
        check.text(data, "guid", required=False), check.text(data, "permalink", required=False)
    )
    return ParsedEdition(path, record, check.theme_lines, check.link_lines, origin=origin)


def _slug(check: _Checker, data: LineMap, title: str | None) -> str:
    slug = check.text(data, "slug", required=False)
    if slug is None:
        return slugify(title or "")
    if not _SLUG.match(slug):
        check.report(
            data.key_lines["slug"], f"slug '{slug}' must be lower-case words joined by '-'"
        )
    return slug


def _date(check: _Checker, data: LineMap) -> dt.date | None:
    value = data.get("date")
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    check.report(
        data.key_lines["date"], f"date must be YYYY-MM-DD (a real day) or null, not {value!r}"
    )
    return None


def _links(check: _Checker, data: LineMap, key: str, *, required: bool) -> tuple[LinkRecord, ...]:
    items = data.get(key)
    line = data.key_lines.get(key, data.line)
    if items is None or items == []:
        if required:
            check.report(line, f"'{key}' needs at least one link")
        return ()
    if not isinstance(items, list) or not all(isinstance(item, LineMap) for item in items):
        check.report(line, f"'{key}' must be a list of links, each a mapping with a headline")
        return ()
    section = Section.CURATED if key == "curated" else Section.RECENT_POST
    check.link_lines.update({(section, n): item.line for n, item in enumerate(items, start=1)})
    return tuple(_link(check, item) for item in items)


def _link(check: _Checker, item: LineMap) -> LinkRecord:
    check.keys(item, LINK_KEYS, "a link")
    url = check.text(item, "url", required=False)
    if url is not None and not _URL.match(url):
        check.report(
            item.key_lines["url"], f"url '{url}' must start with http://, https:// or mailto:"
        )
    return LinkRecord(
        headline=check.text(item, "headline") or "",
        blurb=check.texts(item, "blurb"),
        link_text=check.text(item, "link_text") or "",
        url=url,
        author=check.text(item, "author", required=False),
        source=check.text(item, "source") or "",
        themes=check.themes(item),
    )


def _paragraphs(body: str) -> tuple[str, ...]:
    blocks = re.split(r"\n\s*\n", body.replace("\r\n", "\n"))
    return tuple(" ".join(block.split()) for block in blocks if block.strip())


def render_markdown(
    record: EditionRecord, *, comment: str | None = None, origin: Origin | None = None
) -> str:
    """Return the edition as a file in the archive format (with its WordPress origin, if any)."""
    front: dict[str, Any] = {"slug": record.slug, "title": record.title, "date": record.date}
    if origin and origin.guid:
        front["guid"] = origin.guid
    if origin and origin.permalink:
        front["permalink"] = origin.permalink
    if record.themes:
        front["themes"] = list(record.themes)
    front["highlights"] = list(record.highlights)
    front["curated"] = [_link_data(link) for link in record.curated]
    if record.recent_posts:
        front["recent_posts"] = [_link_data(link) for link in record.recent_posts]
    yaml_text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=88)
    header = "".join(f"# {line}\n" for line in comment.splitlines()) if comment else ""
    intro = "\n\n".join(record.intro)
    return f"---\n{header}{yaml_text}---\n\n{intro}\n"


def _link_data(link: LinkRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"headline": link.headline, "blurb": list(link.blurb)}
    data["link_text"] = link.link_text
    if link.url:
        data["url"] = link.url
    if link.author:
        data["author"] = link.author
    data["source"] = link.source
    if link.themes:
        data["themes"] = list(link.themes)
    return data
