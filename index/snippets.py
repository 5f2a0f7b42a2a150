"""Highlighted snippets and the conversion of Whoosh hits into Hit dataclasses.

Whoosh highlights a hit by running its whole analyzer (tokenizer, Unicode, case and accent
folding, stop words, stemming: a chain of generators) over the stored text again, a token at
a time: two thirds of an uncached search. Every filter of that chain works on one word
alone, so the analysis of a word is kept (`_WORDS`), and the text is only split with the
analyzer's own tokenizer expression. Whoosh's fragmenter loop runs over those matches as
they are (`_fragments`: only a matched word becomes a Token), and its own fragment scoring
and formatting finish the job, so a snippet comes out exactly as `hit.highlights()` makes
it (tests/index/test_snippets.py compares them).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from itertools import compress, pairwise
from operator import itemgetter
from typing import Any

from whoosh import highlight
from whoosh.analysis import RegexTokenizer, Token

from index.results import Hit

SNIPPET_CHARS = 240
FIELD = "body"
# Words kept analysed per process, about 170 bytes each: the 3,000-edition demo archive uses
# 5,160 (0.9 MB); at most 50,000 (8.5 MB), then the kept ones are dropped and read again.
MAX_WORDS_KEPT = 50_000


class MarkFormatter(highlight.Formatter):  # type: ignore[misc]
    """Escape everything and wrap matched words in <mark>: the only tag a snippet may hold."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text, quote=False)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{html.escape(highlight.get_text(text, token, replace), quote=False)}</mark>"


FRAGMENTER = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
FORMATTER = MarkFormatter()
# {word as written: its text after analysis}
_WORDS: dict[str, str] = {}
_WRITTEN = itemgetter(0)  # a tokenizer match's word as written


class _Unusual(Exception):
    """An analyzer or a word this module does not reproduce; Whoosh highlights it itself."""


def _analysed(analyzer: Any, word: str) -> str:
    """Return what the analyzer makes of one word, as it does inside a text."""
    found = _WORDS.get(word)
    if found is None:
        tokens = analyzer(word, positions=True, chars=True, mode="index", removestops=False)
        made = [token.text for token in tokens]
        if len(made) != 1:
            raise _Unusual(word)
        if len(_WORDS) >= MAX_WORDS_KEPT:
            _WORDS.clear()
        found = _WORDS[word] = made[0]
    return found


class _Marks:
    """Which words as written are searched words, for one page, asked a text at a time.

    The hits of a page share most of their words: each is looked at once (`seen`), and by
    C loops (set differences, `map`) over the kept analyses, so a text costs no Python
    statement per word unless one of its words was never analysed in this process.
    """

    def __init__(self, words: frozenset[str], analyzer: Any) -> None:
        self.words, self.analyzer = words, analyzer
        self.seen: set[str] = set()
        self.marked: set[str] = set()

    def of(self, written: list[str]) -> list[bool] | None:
        """Return whether each word is a searched word, or None when none is."""
        present = set(written)
        fresh = list(present.difference(self.seen))
        if fresh:
            self._look_at(fresh)
        if present.isdisjoint(self.marked):
            return None
        return list(map(self.marked.__contains__, written))

    def _look_at(self, fresh: list[str]) -> None:
        analysed = list(map(_WORDS.get, fresh))
        if None in analysed:  # never analysed here (or the kept ones were just dropped)
            analysed = [
                _analysed(self.analyzer, w) if a is None else a
                for w, a in zip(fresh, analysed, strict=True)
            ]
        self.marked.update(compress(fresh, map(self.words.__contains__, analysed)))
        self.seen.update(fresh)


def _touching(found: list[re.Match[str]], matched: list[bool]) -> bool:
    """Whether two matched words touch: Whoosh would merge them into one mark, this module not.

    Whoosh merges only consecutive matched tokens (`Highlighter._merge_matched_tokens`), and
    a tokenizer expression's matches never overlap, so touching matched pairs are all to find.
    """
    at = list(compress(range(len(matched)), matched))
    return any(b == a + 1 and found[b].start() <= found[a].end() for a, b in pairwise(at))


def _front(found: list[re.Match[str]], start: int, stop: int, surround: int) -> int | None:
    """Return where Whoosh's context before a match begins (its `firsts[0]`), or None.

    Whoosh queues the start of each unmatched word (here `start` to `stop`, exclusive),
    dropping from the front those more than `surround` characters before the newest one's
    end. Starts only grow, so what is left are the words starting within `surround` of the
    last one's end: a walk back from it, a few words, instead of a queue step per word.
    """
    limit = found[stop - 1].end() - surround
    at = stop
    while at > start and found[at - 1].start() >= limit:
        at -= 1
    return found[at].start() if at < stop else None


def _fragments(
    text: str, marks: _Marks, expression: re.Pattern[str], fragmenter: Any
) -> Iterator[highlight.Fragment]:
    """Yield what Whoosh's ContextFragmenter yields for the analyzer's tokens of `text`.

    Its loop, statement for statement, over the tokenizer's matches, except that a run of
    unmatched words outside a fragment is stepped over at once (`_front` gives what Whoosh's
    queue of their starts would hold): that run is most of a text, and all of one whose
    match is in the title only. Only a matched word becomes a Token. Whoosh's step between
    (merging matched words that touch) never applies to a tokenizer expression's words;
    should it, the caller falls back to Whoosh.
    """
    found = list(expression.finditer(text))
    written = list(map(_WRITTEN, found))
    matched = marks.of(written)
    if matched is None:
        return
    if _touching(found, matched):
        raise _Unusual("words that touch")
    maxchars, surround, charlimit = fragmenter.maxchars, fragmenter.surround, fragmenter.charlimit
    ahead = iter(compress(range(len(found)), matched))  # the matched words, in order
    first = front = None
    countdown = -1
    tks: list[Token] = []
    endchar = currentlen = at = 0
    while True:
        if countdown < 0:  # not in a fragment: on to the next matched word
            stop = next((i for i in ahead if i >= at), None)
            if stop is None:
                break
            if stop > at:  # past the character limit, the matched word stops the loop below
                front = _front(found, at, stop, surround)
            at = stop
        elif at == len(found):
            break
        startchar, endchar = found[at].span()
        tlength = endchar - startchar
        if charlimit and endchar > charlimit:
            break
        if currentlen + tlength > maxchars:
            countdown = 0
        elif matched[at]:
            countdown = surround
            if first is None:
                if front is not None:
                    first = front
                else:
                    first = startchar
                    countdown += surround
            analysed = _analysed(marks.analyzer, written[at])
            tks.append(
                Token(text=analysed, startchar=startchar, endchar=endchar, boost=1.0, matched=True)
            )
        at += 1
        currentlen += tlength
        countdown -= tlength
        if countdown <= 0:
            yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)
            tks = []
            first = front = None
            currentlen = 0
    if tks:
        yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)


def _tokenizer(analyzer: Any) -> re.Pattern[str]:
    """Return the expression the analyzer splits text with, or raise _Unusual."""
    first = getattr(analyzer, "items", [None])[0]
    if not isinstance(first, RegexTokenizer) or first.gaps:
        raise _Unusual("not a word-matching RegexTokenizer")
    expression: re.Pattern[str] = first.expression
    return expression


class Page:
    """What the hits of one Whoosh Results share for highlighting: the words and the tools."""

    def __init__(self, results: Any) -> None:
        highlighter = results.highlighter
        self.highlighter = highlighter
        # Whoosh's other branch: the terms each hit matched, recorded while searching.
        self.exact = not results.has_matched_terms()
        field = results.searcher.schema[FIELD]
        self.analyzer = field.analyzer
        terms = results.query_terms(expand=True, fieldname=FIELD)
        self.words = frozenset(field.from_bytes(term[1]) for term in terms)
        self.marks = _Marks(self.words, self.analyzer)

    def highlights(self, hit: Any) -> str:
        """Return what `hit.highlights(FIELD, top=2)` returns, without re-running the analyzer."""
        if not self.exact or FIELD not in hit:
            return str(hit.highlights(FIELD, top=2))
        text = hit[FIELD]
        fragmenter = self.highlighter.fragmenter
        try:
            if type(fragmenter) is not highlight.ContextFragmenter:
                raise _Unusual("another fragmenter")
            expression = _tokenizer(self.analyzer)
            fragments = list(_fragments(text, self.marks, expression, fragmenter))
            best = highlight.top_fragments(
                fragments, 2, self.highlighter.scorer, self.highlighter.order, minscore=1
            )
        except _Unusual:
            return str(hit.highlights(FIELD, top=2))
        return str(self.highlighter.formatter.format(best))


def snippet(hit: Any, page: Page | None = None) -> str:
    """Return the hit's body with matched words marked, or its opening when nothing matched there."""
    marked = (page or Page(hit.results)).highlights(hit)
    if marked:
        return marked
    body = hit.get(FIELD, "")
    opening = body if len(body) <= SNIPPET_CHARS else body[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return html.escape(opening, quote=False)


def to_hits(hits: Sequence[Any]) -> tuple[Hit, ...]:
    """Return Hit dataclasses of Whoosh hits of one Results, their words looked up once."""
    page = Page(hits[0].results) if hits else None
    return tuple(to_hit(hit, page) for hit in hits)


def to_hit(hit: Any, page: Page | None = None) -> Hit:
    """Return a Hit dataclass from a Whoosh hit (its stored fields and snippet)."""
    fields = hit.fields()
    return Hit(
        kind=fields["kind"],
        edition_slug=fields["edition"],
        edition_title=fields["edition_title"],
        edition_date=fields["edition_date"] or None,
        title=fields["title"],
        snippet=snippet(hit, page),
        themes=tuple(fields.get("theme", "").split()),
        section=fields.get("section"),
        position=fields.get("position"),
        source=fields.get("source"),
        source_slug=fields.get("source_slug"),
        author=fields.get("author"),
        url=fields.get("url"),
    )
