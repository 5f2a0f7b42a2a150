"""Marking a search's words in a page's text, the way the index matches them.

A result links to its edition as `/editions/<slug>?hl=<words>#link-N`; the edition page
marks the words with <mark>. Only words the reader looked for count: not the ones after
NOT or a minus, not field values (theme:, source:, author:, year:, in:), not operators.
Words match as the index matches them: folded case and accents, then stemmed, so
`platform` marks "Platforms" and `resume` marks "résumé".
"""

from __future__ import annotations

import html
import re

from index.analysis import text_analyzer
from index.query import MAX_QUERY_CHARS, MAX_WORDS, READER_FIELDS

_ANALYZER = text_analyzer()
# A group, a quoted phrase (with an optional minus or field in front) or a bare token.
_TOKEN = re.compile(r'[()]|-?(?:\w+:)?"[^"]*"?|[^\s()"]+')
_FIELD = re.compile(rf"^-?(?:{'|'.join((*READER_FIELDS, 'in'))}):", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
_OPERATORS = {"AND", "OR"}


def highlight_words(query: str) -> tuple[str, ...]:
    """Return the words a query looks for, in order and once each, for `?hl=`."""
    words: list[str] = []
    depth, excluded_from, negate = 0, None, False
    for token in _TOKEN.findall(" ".join(query.split())[:MAX_QUERY_CHARS]):
        # NOT, a lone minus and a field name before a group leave out what follows.
        if token in {"NOT", "-"} or (token.endswith(":") and _FIELD.match(token)):
            negate = True
            continue
        if token == "(":
            depth += 1
            if negate and excluded_from is None:
                excluded_from = depth  # everything inside this group is left out
        elif token == ")":
            excluded_from = None if excluded_from == depth else excluded_from
            depth = max(0, depth - 1)
        elif not (negate or excluded_from or token.startswith("-") or token in _OPERATORS):
            words.extend(_WORD.findall(token) if not _FIELD.match(token) else ())
        negate = False
    return tuple(dict.fromkeys(words))[:MAX_WORDS]


def highlight_terms(words: str) -> frozenset[str]:
    """Return the index terms (folded, stemmed) of `?hl=` text; stop words match nothing."""
    return frozenset(token.text for token in _ANALYZER(" ".join(highlight_words(words))))


def mark(text: str, terms: frozenset[str]) -> str:
    """Return text as escaped HTML with each word whose term is in `terms` inside <mark>."""
    if not terms:
        return html.escape(text)
    parts, done = [], 0
    for token in _ANALYZER(text, chars=True):
        if token.text in terms:
            start, end = token.startchar, token.endchar
            parts += [html.escape(text[done:start]), f"<mark>{html.escape(text[start:end])}</mark>"]
            done = end
    parts.append(html.escape(text[done:]))
    return "".join(parts)
