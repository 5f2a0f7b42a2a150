"""Highlighted snippets and the conversion of Whoosh hits into Hit dataclasses."""

from __future__ import annotations

import html
from typing import Any

from whoosh import highlight

from index.results import Hit

SNIPPET_CHARS = 240


class MarkFormatter(highlight.Formatter):  # type: ignore[misc]
    """Escape everything and wrap matched words in <mark>: the only tag a snippet may hold."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text, quote=False)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{html.escape(highlight.get_text(text, token, replace), quote=False)}</mark>"


FRAGMENTER = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
FORMATTER = MarkFormatter()


def snippet(hit: Any) -> str:
    """Return the hit's body with matched words marked, or its opening when nothing matched there."""
    marked = hit.highlights("body", top=2)
    if marked:
        return str(marked)
    body = hit.get("body", "")
    opening = body if len(body) <= SNIPPET_CHARS else body[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return html.escape(opening, quote=False)


def to_hit(hit: Any) -> Hit:
    """Return a Hit dataclass from a Whoosh hit (its stored fields and snippet)."""
    fields = hit.fields()
    return Hit(
        kind=fields["kind"],
        edition_slug=fields["edition"],
        edition_title=fields["edition_title"],
        edition_date=fields["edition_date"] or None,
        title=fields["title"],
        snippet=snippet(hit),
        themes=tuple(fields.get("theme", "").split()),
        section=fields.get("section"),
        position=fields.get("position"),
        source=fields.get("source"),
        source_slug=fields.get("source_slug"),
        author=fields.get("author"),
        url=fields.get("url"),
    )
