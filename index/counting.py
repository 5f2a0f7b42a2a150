"""Exact totals and facet input: the matching document numbers of a query, computed cheaply.

Decoding a common word's posting list costs milliseconds in pure Python, and popular words
recur from search to search. So each word's live document numbers are kept per index
generation as a compact array (4 bytes a number, at most MAX_KEPT numbers in all), and a
query of words, AND, OR and NOT is answered by set algebra over them. Phrases and anything
else go through Whoosh.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from typing import Any

from whoosh.query import And, AndNot, Not, Or, Query, Term

# About 16 MB of document numbers per worker process.
MAX_KEPT = 4_000_000


class TermDocs:
    """Live document numbers per (field, word), for one generation of one build."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self.max_kept = max_kept
        self._kept: OrderedDict[tuple[Any, ...], array[int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def matching(self, searcher: Any, query: Query, version: tuple[Any, ...]) -> set[int]:
        """Return the document numbers matching the query in this searcher's index."""
        if isinstance(query, Term):
            return set(self._term(searcher, query, version))
        if isinstance(query, And):
            return self._all_of(searcher, query.subqueries, version)
        if isinstance(query, Or):
            return set().union(*(self.matching(searcher, sub, version) for sub in query.subqueries))
        if isinstance(query, AndNot):
            return self.matching(searcher, query.a, version) - self.matching(
                searcher, query.b, version
            )
        return set(searcher.docs_for_query(query))

    def _all_of(self, searcher: Any, queries: list[Query], version: tuple[Any, ...]) -> set[int]:
        wanted = [self.matching(searcher, q, version) for q in queries if not isinstance(q, Not)]
        unwanted = [
            self.matching(searcher, q.query, version) for q in queries if isinstance(q, Not)
        ]
        if not wanted:
            return set()
        wanted.sort(key=len)
        found = wanted[0].intersection(*wanted[1:])
        return found.difference(*unwanted)

    def _term(self, searcher: Any, term: Term, version: tuple[Any, ...]) -> array[int]:
        key = (*version, term.fieldname, term.text)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        docs = array("I", searcher.docs_for_query(term))  # deleted documents left out
        with self._lock:
            if key not in self._kept:  # another thread may have computed it meanwhile
                self._kept[key] = docs
                self._size += len(docs)
            while self._size > self.max_kept and self._kept:
                _key, dropped = self._kept.popitem(last=False)
                self._size -= len(dropped)
        return docs
