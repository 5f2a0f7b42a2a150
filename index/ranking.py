"""Whoosh's BM25F scores computed a word at a time over cached arrays, for the common queries.

Whoosh scores a query a document at a time, through a tree of Python matchers: two common
words spread over six weighted fields cost it about 60 ms over 3,000 editions, nearly all
of it per-document bookkeeping. Yet a score is only a sum, over the query's (field, word)
terms, of boost x BM25F(term frequency, field length). So each term's posting list is read
once per index generation into two arrays, its live document numbers and its unboosted
BM25F scores (with the idf, average length, B and K1 of Whoosh's own scorer), and a query of
words, AND, OR and NOT is then a few vector additions and masks: well under a millisecond.

Anything else (phrases, a boost on a group, an Or with a coordination scale, another scoring
model) raises Unsupported and goes through Whoosh. `tests/index/test_ranking.py` checks
that both give the same documents and scores.

Posting lists are read a block at a time through Whoosh's internals (index/blocks.py),
stable in the pinned whoosh-reloaded 2.7.5; a change there fails that test.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.scoring import BM25FScorer, WeightScorer
from whoosh.util.numeric import byte_to_length

from index.blocks import byte_column, has_positions
from index.flat import segment_lists
from index.phrases import in_a_row, in_sorted

# Postings kept per process, 12 bytes each: 96 MB when full. The 3,000-edition demo archive
# has about 1.4 million postings in its six ranked fields (all kept, 17 MB); at 30,000 a
# budget of 2 million made searches read their common words again and again (cold p50
# 52 ms; 11 ms with this one, the process at 236 MB instead of 173: docs/search-speed.md).
MAX_KEPT = 8_000_000
# Field lengths are stored as one byte each; this turns a byte back into a length. Whoosh's
# scorer reads a missing length (byte 0) as 1.
_LENGTHS = np.array([byte_to_length(b) or 1 for b in range(256)], dtype=np.float64)

Docs = npt.NDArray[np.int32]
Scores = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


class Unsupported(Exception):
    """A query this module does not score; Whoosh's own searcher must."""


@dataclass(frozen=True)
class Matches:
    """Per document number: whether it matches, and its score (0 where it does not)."""

    mask: Mask
    scores: Scores


class Postings:
    """Each term's live document numbers and unboosted scores, per index version; thread-safe."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self.max_kept = max_kept
        self._kept: OrderedDict[tuple[Any, ...], tuple[Docs, Scores]] = OrderedDict()
        self._size = 0
        self._per_version: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def matches(self, searcher: Any, version: tuple[Any, ...], query: wq.Query) -> Matches:
        """Return the documents matching `query` and their scores, or raise Unsupported."""
        return _Evaluation(self, searcher, version).run(query)

    def term(
        self, searcher: Any, version: tuple[Any, ...], fieldname: str, text: str
    ) -> tuple[Docs, Scores]:
        """Return a term's live document numbers (ascending) and unboosted scores."""
        key = (*version, fieldname, text)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        found = self._read(searcher, version, fieldname, text)
        with self._lock:
            if self._kept and next(reversed(self._kept))[: len(version)] != version:
                self._forget_other_versions(version)
            if key not in self._kept:  # another thread may have read it meanwhile
                self._kept[key] = found
                self._size += len(found[0])
            while self._size > self.max_kept and self._kept:
                _key, (dropped, _scores) = self._kept.popitem(last=False)
                self._size -= len(dropped)
        return found

    def _forget_other_versions(self, version: tuple[Any, ...]) -> None:
        """Drop the postings of other index versions (an import or a rebuild made a new one):
        threads move to the new version on their next search."""
        for key in [key for key in self._kept if key[: len(version)] != version]:
            docs, _scores = self._kept.pop(key)
            self._size -= len(docs)

    def _read(
        self, searcher: Any, version: tuple[Any, ...], fieldname: str, text: str
    ) -> tuple[Docs, Scores]:
        if (fieldname, text) not in searcher.reader():
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
        scorer = searcher.weighting.scorer(searcher, fieldname, text)
        lists = list(segment_lists(searcher, fieldname, text))
        docs = np.concatenate([found.docs + offset for found, offset in lists], dtype=np.int32)
        tf = np.concatenate([found.weights for found, _offset in lists], dtype=np.float64)
        live = self._live(searcher, version)
        keep = live[docs]
        docs, tf = docs[keep], tf[keep]
        if isinstance(scorer, BM25FScorer):
            length = _LENGTHS[self._length_bytes(searcher, version, fieldname)[docs]]
            k1, b = scorer.K1, scorer.B
            # Whoosh's bm25(), term for term, so the floats come out the same.
            scores = scorer.idf * (
                (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length / scorer.avgfl))
            )
        elif isinstance(scorer, WeightScorer):
            scores = tf
        else:
            raise Unsupported(f"scorer {type(scorer).__name__}")
        return docs, scores

    def _live(self, searcher: Any, version: tuple[Any, ...]) -> Mask:
        """Return, per document number, whether the document is not deleted."""

        def make() -> Mask:
            live = np.ones(searcher.doc_count_all(), dtype=np.bool_)
            for leaf, offset in searcher.reader().leaf_readers():
                if leaf.has_deletions():
                    # The segment's set of deleted numbers, not a call per document.
                    deleted = np.fromiter(leaf._perdoc.deleted_docs(), dtype=np.int64)
                    live[offset + deleted] = False
            return live

        result: Mask = self._version_value(version, ("live",), make)
        return result

    def _length_bytes(
        self, searcher: Any, version: tuple[Any, ...], fieldname: str
    ) -> npt.NDArray[np.uint8]:
        """Return, per document number, the field's length as Whoosh stores it (one byte)."""

        def make() -> npt.NDArray[np.uint8]:
            parts = []
            for leaf, _offset in searcher.reader().leaf_readers():
                column = leaf._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
                count = leaf.doc_count_all()
                if column is None:
                    parts.append(np.zeros(count, dtype=np.uint8))
                else:
                    parts.append(byte_column(column, count))
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)

        result: npt.NDArray[np.uint8] = self._version_value(version, ("length", fieldname), make)
        return result

    def _version_value(self, version: tuple[Any, ...], name: tuple[str, ...], make: Any) -> Any:
        with self._lock:
            if any(key[: len(version)] != version for key in self._per_version):
                self._per_version.clear()  # a new generation: forget the old one's arrays
            value = self._per_version.get((*version, *name))
        if value is None:
            value = make()
            with self._lock:
                self._per_version[(*version, *name)] = value
        return value


class _Evaluation:
    """One query's evaluation over whole-index arrays."""

    def __init__(self, postings: Postings, searcher: Any, version: tuple[Any, ...]) -> None:
        self.postings = postings
        self.searcher = searcher
        self.version = version
        self.size = searcher.doc_count_all()

    def run(self, query: wq.Query) -> Matches:
        if isinstance(query, wq.Term):
            return self._term(query)
        if isinstance(query, wq.Phrase):
            return self._phrase(query)
        if query is wq.NullQuery or isinstance(query, wq.NullQuery.__class__):
            return self._empty()
        if query.boost != 1.0:
            raise Unsupported("a boost on a group")
        if isinstance(query, wq.AndNot):
            wanted, unwanted = self.run(query.a), self.run(query.b)
            return _restrict(wanted, wanted.mask & ~unwanted.mask)
        if isinstance(query, wq.And) and type(query) is wq.And:
            return self._all_of(query.subqueries)
        if isinstance(query, wq.Or) and type(query) is wq.Or and not query.scale:
            return self._any_of(query.subqueries)
        raise Unsupported(type(query).__name__)

    def _term(self, term: wq.Term) -> Matches:
        docs, scores = self.postings.term(self.searcher, self.version, term.fieldname, term.text)
        found = self._empty()
        found.mask[docs] = True
        found.scores[docs] = scores * term.boost if term.boost != 1.0 else scores
        return found

    def _phrase(self, phrase: wq.Phrase) -> Matches:
        """A phrase's documents: those holding its words in a row (index/phrases.py). Its
        score, Whoosh's: the sum of its words' scores in the field, as the intersection of the
        words adds them, times the phrase's boost. Worked on the documents holding every word,
        not on whole-index arrays (six fields of them per phrase, at 30,000 editions)."""
        fieldname, words = phrase.fieldname, list(phrase.words)
        schema = self.searcher.schema
        if phrase.slop != 1 or None in words or fieldname not in schema:
            raise Unsupported("a phrase with a slop, or in no field")
        if not has_positions(schema[fieldname]):
            raise Unsupported("a phrase in a field without positions")  # Whoosh says why
        if not words:
            return self._empty()
        terms = [self.postings.term(self.searcher, self.version, fieldname, w) for w in words]
        docs = functools.reduce(_common, [term_docs for term_docs, _scores in terms])
        if len(words) > 1 and len(docs):
            docs = in_a_row(self.searcher, fieldname, words, docs)
        scores = _binary_sum([s[np.searchsorted(d, docs)] for d, s in terms])
        found = self._empty()
        found.mask[docs] = True
        found.scores[docs] = scores * phrase.boost if phrase.boost != 1.0 else scores
        return found

    def _all_of(self, queries: list[wq.Query]) -> Matches:
        wanted = [self.run(q) for q in queries if not isinstance(q, wq.Not)]
        unwanted = [self.run(q.query) for q in queries if isinstance(q, wq.Not)]
        if not wanted:
            raise Unsupported("only NOT")
        mask = np.logical_and.reduce([m.mask for m in wanted])
        for m in unwanted:
            mask &= ~m.mask
        # Whoosh intersects with a NOT's inverse matcher, which scores 1 for every document.
        scores = np.add.reduce([m.scores for m in wanted]) + len(unwanted)
        return _restrict(Matches(mask, scores), mask)

    def _any_of(self, queries: list[wq.Query]) -> Matches:
        if any(isinstance(q, wq.Not) for q in queries):
            raise Unsupported("NOT inside OR")
        # Added into one pair of arrays in the subqueries' order (the sums come out as
        # np.add.reduce made them): a word spread over six fields is six sparse terms, and a
        # pair of whole-index arrays for each cost more than the sums at 30,000 editions.
        found = self._empty()
        for query in queries:
            if isinstance(query, wq.Term):
                docs, scores = self.postings.term(
                    self.searcher, self.version, query.fieldname, query.text
                )
                found.mask[docs] = True
                found.scores[docs] += scores * query.boost if query.boost != 1.0 else scores
            else:
                sub = self.run(query)
                found.mask[:] |= sub.mask
                found.scores[:] += sub.scores
        return found

    def _empty(self) -> Matches:
        return Matches(np.zeros(self.size, dtype=np.bool_), np.zeros(self.size, dtype=np.float64))


def _common(docs: Docs, more: Docs) -> Docs:
    """Return the documents in both ascending arrays."""
    both: Docs = docs[in_sorted(docs, more)]
    return both


def _binary_sum(arrays: list[Scores]) -> Scores:
    """Add arrays in the order Whoosh's binary tree of intersections adds their scores:
    (a + (b + c)) for three, so the floats come out the same."""
    if len(arrays) == 1:
        return arrays[0]
    half = len(arrays) // 2
    return _binary_sum(arrays[:half]) + _binary_sum(arrays[half:])


def _restrict(found: Matches, mask: Mask) -> Matches:
    """Return `found` limited to `mask`, with no score left outside it."""
    return Matches(mask, np.where(mask, found.scores, 0.0))


def top(
    found: Matches, days: npt.NDArray[np.int64], count: int, newest: bool
) -> list[tuple[float, int]]:
    """Return the best `count` (score, document number) pairs: by score, a newer day winning a
    tie (scores compared to six decimals), or newest first."""
    docs = np.flatnonzero(found.mask)
    if newest:
        order = np.lexsort((docs, -days[docs]))[:count]
        chosen = docs[order]
        return [(float(found.scores[d]), int(d)) for d in chosen]
    rounded = np.round(found.scores[docs], 6)
    if len(docs) > count:
        # Everything scoring at least the count-th best score, so ties at the edge stay whole.
        edge = np.partition(rounded, len(docs) - count)[len(docs) - count]
        keep = rounded >= edge
        docs, rounded = docs[keep], rounded[keep]
    order = np.lexsort((docs, -days[docs], -rounded))[:count]
    chosen = docs[order]
    return [(float(found.scores[d]), int(d)) for d in chosen]
