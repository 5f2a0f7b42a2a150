"""The stored form of intro and blurb paragraphs: text with inline links as `[text](url)`.

Importers write it, pages and the search adapter read it; it sits beside the models
because it is the format of stored values, not of any one importer.

A stored paragraph is text in which `[text](url)` is a link when the url starts with
`http://`, `https://` or `mailto:`. A backslash makes the next `[`, `]`, `(`, `)` or `\\`
literal, so text holding brackets round-trips; any other `[` is literal text too, so a
paragraph written before links were kept reads as it did. `write_link` and `escape`
produce this form, `runs` splits it, `plain_text` gives what a reader sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
# Text needs only its brackets escaped ("(" opens nothing without a "]" before it); a url
# its parentheses, which would otherwise end it.
_SPECIAL = re.compile(r"([\\\[\]])")
_URL_SPECIAL = re.compile(r"([\\()])")
_ESCAPE_ONE = r"\\\1"
# A link: [text](url) with escapes allowed inside both parts; no white space in the url.
_LINK = re.compile(r"\[((?:\\.|[^\\\[\]])*)\]\(((?:\\.|[^\\()\s])+)\)")
_ESCAPED = re.compile(r"\\([\\\[\]()])")
_SPECIAL_CHARS = set("\\[]()")
# Text up to the next "[" or backslash, taken whole: a character at a time is slow on the
# thousands of paragraphs an import indexes.
_PLAIN = re.compile(r"[^\\\[]+")


@dataclass(frozen=True)
class Run:
    """A piece of a paragraph: plain text, or a link's text and its address."""

    text: str
    url: str | None = None


def is_allowed_url(url: str) -> bool:
    """Return whether an address may be kept as a link (http, https or mailto)."""
    return url.lower().startswith(ALLOWED_SCHEMES) and not any(c.isspace() for c in url)


def escape(text: str) -> str:
    """Return text with its brackets and backslashes made literal."""
    return _SPECIAL.sub(_ESCAPE_ONE, text)


def write_link(text: str, url: str) -> str:
    """Return a link in the stored form; an address that is not allowed gives its text alone."""
    if not is_allowed_url(url):
        return escape(text)
    return f"[{escape(text)}]({_URL_SPECIAL.sub(_ESCAPE_ONE, url)})"


def write_runs(runs: list[Run]) -> str:
    """Return the stored form of a paragraph made of runs."""
    return "".join(write_link(r.text, r.url) if r.url else escape(r.text) for r in runs)


def runs(paragraph: str) -> list[Run]:
    """Split a stored paragraph into text and link runs (adjacent text runs merged)."""
    out: list[Run] = []
    text: list[str] = []
    position = 0
    while position < len(paragraph):
        plain = _PLAIN.match(paragraph, position)
        if plain:
            text.append(plain.group())
            position = plain.end()
            continue
        char = paragraph[position]
        link = _LINK.match(paragraph, position) if char == "[" else None
        if link and is_allowed_url(url := _unescape(link.group(2))):
            _add_text(out, "".join(text))
            text = []
            out.append(Run(_unescape(link.group(1)), url))
            position = link.end()
        elif char == "\\" and paragraph[position + 1 : position + 2] in _SPECIAL_CHARS:
            text.append(paragraph[position + 1])
            position += 2
        else:
            text.append(char)
            position += 1
    _add_text(out, "".join(text))
    return out


def _add_text(out: list[Run], text: str) -> None:
    if not text:
        return
    if out and out[-1].url is None:
        out[-1] = Run(out[-1].text + text)
    else:
        out.append(Run(text))


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def plain_text(paragraph: str) -> str:
    """Return the paragraph as a reader sees it: link texts in place, escapes undone."""
    return "".join(run.text for run in runs(paragraph))


def links(paragraph: str) -> list[tuple[str, str]]:
    """Return the (text, url) of every link in a stored paragraph."""
    return [(run.text, run.url) for run in runs(paragraph) if run.url]
