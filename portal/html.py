"""HTML helpers of the templates: stored paragraphs as HTML, a search's words in <mark>."""

from __future__ import annotations

from markupsafe import Markup, escape

from portal import search
from portal.editions import paragraphs


def marked(text: str, terms: frozenset[str] | None = None) -> str | Markup:
    """Return text with the terms' words in <mark>, or unchanged (for autoescaping) without terms."""
    if not terms:
        return text
    # Safe: search.mark escapes every character and adds only <mark> tags (tests/portal/test_html.py).
    return Markup(search.mark(text, terms))


def paragraph_html(paragraph: str, terms: frozenset[str] | None = None) -> Markup:
    """Return a stored intro or blurb paragraph as HTML: escaped text, its links as <a href>."""
    parts = []
    for run in paragraphs.runs(paragraph):
        text = escape(marked(run.text, terms))
        parts.append(Markup('<a href="{}">{}</a>').format(run.url, text) if run.url else text)
    return Markup("").join(parts)
