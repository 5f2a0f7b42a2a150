""" "Did you mean": correct only the words the index has never seen, against unstemmed words."""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any

from whoosh.codec.base import Automata
from whoosh.query import And
from whoosh.reading import IndexReader, SegmentReader
from whoosh.spelling import Corrector
from whoosh.support.levenshtein import distance as edit_distance

from index.analysis import spelling_analyzer
from index.query import ParsedQuery, Parsers, QueryError, filter_terms, parse
from index.results import SearchRequest

_ANALYZER = spelling_analyzer()
# Each unknown word costs a lookup in the spelling field: correct the first few.
MAX_CORRECTIONS = 3
SPELL = "spell"


class SpellingWords:
    """The spelling field's words of one index version, sorted, read once; thread-safe.

    Whoosh finds the words near a misspelling by walking the field's term file on disk, a
    seek and a read per step: most of a misspelled search. The same walk over these words
    in memory (a few thousand, read once per index version) finds the same words, and
    tells whether the index has a word at all without a lookup on disk per segment.
    """

    def __init__(self) -> None:
        self._kept: tuple[tuple[Any, ...], list[str]] | None = None
        self._lock = threading.Lock()

    def of(self, version: tuple[Any, ...], reader: Any) -> list[str]:
        """Return the sorted words of the reader's spelling field (the reader is of `version`)."""
        with self._lock:
            if self._kept is None or self._kept[0] != version:
                field = reader.schema[SPELL]
                self._kept = (version, [field.from_bytes(b) for b in reader.lexicon(SPELL)])
            return self._kept[1]


class _Cursor:
    """Whoosh's field cursor over a sorted list: `find` goes to the first word at or after."""

    def __init__(self, words: list[str]) -> None:
        self._words, self._at = words, 0
        self._text: str | None = None
        self.next()

    def find(self, term: str) -> str | None:
        self._at = bisect_left(self._words, term)
        return self.next()

    def next(self) -> str | None:
        self._text = self._words[self._at] if self._at < len(self._words) else None
        self._at += 1
        return self._text

    def text(self) -> str | None:
        return self._text


class _KeptCorrector(Corrector):  # type: ignore[misc]
    """Whoosh's ReaderCorrector, finding the words within reach in SpellingWords."""

    def __init__(self, reader: Any, words: list[str]) -> None:
        self.reader, self.words = reader, words

    def _suggestions(self, text: str, maxdist: int, prefix: int) -> Iterator[tuple[float, str]]:
        for sug in self._within(text, maxdist, prefix):  # as ReaderCorrector scores them
            f = self.reader.frequency(SPELL, sug) or 1
            yield (0 - (maxdist + (1.0 / f * 0.5)), sug)

    def _within(self, text: str, maxdist: int, prefix: int) -> Iterator[str]:
        if type(self.reader).terms_within is SegmentReader.terms_within:  # one segment
            dfa = Automata.levenshtein_dfa(text, maxdist, prefix)
            yield from Automata.find_matches(dfa, _Cursor(self.words))
            return
        start = text[:prefix]  # several segments: IndexReader.terms_within
        for word in self.words[bisect_left(self.words, start) :]:
            if not word.startswith(start):
                return
            if _near(word, text, maxdist):
                yield word


def _near(word: str, text: str, maxdist: int) -> bool:
    """Whether `edit_distance(word, text, limit=maxdist) <= maxdist`, the test Whoosh makes.

    Whoosh fills a table a character at a time in Python (10 µs a word, hundreds of words a
    misspelling). An edit changes the length by one at most, so a word longer or shorter by
    more than `maxdist` is out without it; one edit, nearly every lookup, is checked by
    comparing what follows the first difference (`_one_edit`).
    """
    if abs(len(word) - len(text)) > maxdist:
        return False
    if maxdist == 1:
        return _one_edit(word, text)
    return bool(edit_distance(word, text, limit=maxdist) <= maxdist)


def _one_edit(word: str, text: str) -> bool:
    """Whether two words at most one letter apart in length are one edit apart or equal.

    Everything before the first difference is shared, so one edit must be there: a letter
    changed (the rests after it are equal), one left out of the shorter word (the longer's
    rest after it is the shorter's from it), or two neighbours swapped.
    """
    if len(word) < len(text):
        word, text = text, word
    at = next((i for i, (a, b) in enumerate(zip(word, text, strict=False)) if a != b), len(text))
    if len(word) != len(text):
        return word[at + 1 :] == text[at:]
    after = at + 2
    swapped = (
        word[at : at + 1] == text[at + 1 : after] and word[at + 1 : after] == text[at : at + 1]
    )
    return word[at + 1 :] == text[at + 1 :] or (swapped and word[after:] == text[after:])


def _corrector(searcher: Any, words: list[str] | None) -> Any:
    """Return a corrector of the spelling field: ours when it finds what Whoosh's would."""
    reader = searcher.reader()
    ours = (SegmentReader.terms_within, IndexReader.terms_within)
    field = reader.schema[SPELL]
    if words is None or type(reader).terms_within not in ours or field.separate_spelling():
        return reader.corrector(SPELL)
    return _KeptCorrector(reader, words)


def _folded(word: str) -> str:
    tokens = [token.text for token in _ANALYZER(word)]
    return tokens[0] if tokens else ""


def _in_index(reader: Any, word: str, kept: list[str] | None) -> bool:
    """Whether the spelling field has the word: in the kept words when given (a bisection),
    else from the term files (a lookup on disk per segment, 30 to 70 µs)."""
    if kept is None:
        return bool(reader.doc_frequency(SPELL, word))
    at = bisect_left(kept, word)
    return at < len(kept) and kept[at] == word


def corrections(
    searcher: Any, words: tuple[str, ...], spelling: Callable[[], list[str]] | None = None
) -> dict[str, str]:
    """Return {word: correction} for words absent from the index that have a close match,
    both looked for among the words `spelling` returns (SpellingWords) when given."""
    reader = searcher.reader()
    found: dict[str, str] = {}
    kept = spelling() if spelling else None
    folded_words = {word: _folded(word) for word in words}
    unknown = [
        (word, folded)
        for word, folded in folded_words.items()
        if folded and not _in_index(reader, folded, kept)
    ]
    corrector = _corrector(searcher, kept if unknown else None)
    for word, folded in unknown[:MAX_CORRECTIONS]:
        # A shared first letter keeps the lookup cheap (docs/benchmarks.md) and fixes most
        # typos. Whoosh ranks candidates by frequency alone, so look one edit away before two.
        for distance in (1, 2):
            candidates = corrector.suggest(folded, limit=1, maxdist=distance, prefix=1)
            if candidates:
                found[word] = candidates[0]
                break
    return found


def suggest(
    searcher: Any,
    parsers: Parsers,
    request: SearchRequest,
    parsed: ParsedQuery | None,
    total: int,
    count: Callable[[Any], int],
    spelling: Callable[[], list[str]] | None = None,
) -> str | None:
    """Return a corrected query when some words look misspelled and the correction finds more
    than `total` documents, counted by `count`."""
    if parsed is None:
        return None
    fixes = corrections(searcher, parsed.words, spelling)
    if not fixes:
        return None
    corrected = request.q
    for word, fix in fixes.items():
        corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", fix, corrected)
    try:
        better = parse(parsers, corrected)
    except QueryError:
        return None
    query = And([better.query, *filter_terms(request, better.kind)])
    return corrected if count(query) > total else None
