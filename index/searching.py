"""Searching the live index: one searcher per thread, facets, suggestions and a result cache.

A process opens each build once; every thread keeps its own searcher and, on
each search, compares the build and its generation with the live ones (about
10 us). When either changed it opens the new searcher first, then closes the
old. `searcher.refresh()` is never used: after a merge it re-adds old segments.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.collectors import FilterCollector, TimeLimit, TimeLimitCollector
from whoosh.index import FileIndex
from whoosh.query import And, Phrase, Query
from whoosh.searching import Results
from whoosh.sorting import FieldFacet

from index import snippets
from index.counting import TermDocs
from index.query import (
    PHRASE_BOOST,
    ParsedQuery,
    Parsers,
    QueryError,
    filter_terms,
    fold,
    make_parsers,
    parse,
)
from index.ranking import Matches, Postings, Unsupported, top
from index.reader import LatestGeneration, Reader, SharedColumns
from index.results import SearchRequest, SearchResults, Sort
from index.schema import build_schema
from index.storage import IndexUnavailable, live_build, open_build
from index.suggest import SpellingWords, suggest

# A search that runs longer returns what it found so far instead of holding the worker.
TIME_LIMIT_S = 2.0
CACHE_SIZE = 512
# How many hits past the page are fetched, so a phrase match just below it can rise onto it.
PHRASE_WINDOW = 30
PHRASE_FIELDS = ("title", "highlights", "body", "link_text")


class SearchIndex:
    """Answers SearchRequests from the live index in `folder`; safe to share between threads."""

    def __init__(self, folder: Path, cache_size: int = CACHE_SIZE) -> None:
        self.folder = folder
        self.parsers = make_parsers(build_schema())
        self._local = threading.local()
        self._lock = threading.Lock()
        self._indexes: dict[Path, FileIndex] = {}
        self._cache: OrderedDict[tuple[Any, ...], SearchResults] = OrderedDict()
        self._cache_size = cache_size
        self._term_docs = TermDocs()
        self._postings = Postings()
        self._columns = SharedColumns()
        self._generations = LatestGeneration()
        self._spelling = SpellingWords()

    def search(self, request: SearchRequest) -> SearchResults:
        """Return one page of results; raise QueryError for a bad query, IndexUnavailable without an index."""
        if not request.q.strip() and not request.has_filters():
            raise QueryError("Type a word or two to search for.")
        if request.page > 1:
            # The first page (usually kept) tells how many pages there are: a page past the
            # end gets no hits, without ranking the thousands of matches before it.
            first = self.search(replace(request, page=1))
            if request.page > first.pages:
                return replace(first, request=request, hits=())
        reader = self._reader()
        key = (request, reader.build, reader.generation)
        with self._lock:
            if key in self._cache:  # before parsing: parsing is half the cost of a cached answer
                self._cache.move_to_end(key)
                return self._cache[key]
        parsed = parse(self.parsers, request.q) if request.q.strip() else None
        try:
            results = _run(
                reader,
                parsed,
                request,
                self.parsers,
                (self._term_docs, self._postings),
                self._spelling,
            )
        except QueryError:
            raise
        except Exception as error:  # a damaged segment shows up only when read
            raise IndexUnavailable(f"the index could not be read: {error}") from error
        self._remember(key, results)
        return results

    def _remember(self, key: tuple[Any, ...], results: SearchResults) -> None:
        with self._lock:
            self._cache[key] = results
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _reader(self) -> Reader:
        build = live_build(self.folder)
        ix = self._index(build)
        current: Reader | None = getattr(self._local, "reader", None)
        if (
            current is not None
            and current.build == build
            and current.generation == self._generations.of(build, ix)
        ):
            return current
        try:
            fresh = Reader.open(build, ix, self._columns)
        except Exception as error:
            raise IndexUnavailable(f"the index in {build} cannot be read: {error}") from error
        if current is not None:
            current.close()
        self._local.reader = fresh
        return fresh

    def _index(self, build: Path) -> FileIndex:
        with self._lock:
            if build not in self._indexes:
                # Forget older builds: threads still reading them hold their own searchers.
                self._indexes.clear()
                self._indexes[build] = open_build(build)
            return self._indexes[build]


def _run(
    reader: Reader,
    parsed: ParsedQuery | None,
    request: SearchRequest,
    parsers: Parsers,
    kept: tuple[TermDocs, Postings],
    spelling: SpellingWords,
) -> SearchResults:
    term_docs, postings = kept
    hits, matched = _hits_and_matches(reader, parsed, request, term_docs, postings)

    def count(corrected: Query) -> int:
        try:
            return int(postings.matches(reader.searcher, reader.version, corrected).mask.sum())
        except Unsupported:
            return len(term_docs.matching(reader.searcher, corrected, reader.version))

    total = int(matched.sum())
    words = lambda: spelling.of(reader.version, reader.searcher.reader())  # noqa: E731
    suggestion = (
        suggest(reader.searcher, parsers, request, parsed, total, count, words) if parsed else None
    )
    version = f"{reader.build.name}/{reader.generation}"
    return SearchResults(request, total, hits, _facets(reader, matched), suggestion, version)


def _hits_and_matches(
    reader: Reader,
    parsed: ParsedQuery | None,
    request: SearchRequest,
    term_docs: TermDocs,
    postings: Postings,
) -> tuple[tuple[Any, ...], npt.NDArray[np.bool_]]:
    """Return the page's hits and which documents match the query and filters."""
    filters = filter_terms(request, parsed.kind if parsed else None)
    query = parsed.query if parsed else And(filters)
    try:  # words, AND, OR and NOT: scored a word at a time over cached arrays
        found = postings.matches(reader.searcher, reader.version, query)
        for condition in filters if parsed else ():
            found = Matches(
                found.mask & postings.matches(reader.searcher, reader.version, condition).mask,
                found.scores,
            )
    except Unsupported:  # phrases: Whoosh's own searcher
        return _page_through_whoosh(reader, query, filters, request, parsed, term_docs)
    return _page_from(reader, query, found, request, parsed), found.mask


def _facets(
    reader: Reader, matched: npt.NDArray[np.bool_]
) -> dict[str, tuple[tuple[str, int], ...]]:
    """Return each facet's (value, count) pairs: years newest first, others most matches first."""
    facets = {}
    for name, facet in reader.facets.items():
        pairs = facet.counts(matched)
        pairs.sort(
            key=(lambda kv: kv[0]) if name == "year" else (lambda kv: (-kv[1], kv[0])),
            reverse=name == "year",
        )
        facets[name] = tuple(pairs)
    return facets


def _page_from(
    reader: Reader,
    query: Query,
    found: Matches,
    request: SearchRequest,
    parsed: ParsedQuery | None,
) -> tuple[Any, ...]:
    """Return the page's hits from scored matches."""
    newest = parsed is None or request.sort is Sort.NEWEST
    limit = request.page * request.page_size
    window = limit + (0 if newest else PHRASE_WINDOW)
    best = top(found, reader.days, window, newest)
    results = Results(reader.searcher, query, best)
    ranked = _hits(results, len(best))
    return _finish_page(reader, ranked, request, parsed, newest, limit)


def _page_through_whoosh(
    reader: Reader,
    query: Query,
    filters: list[Query],
    request: SearchRequest,
    parsed: ParsedQuery | None,
    term_docs: TermDocs,
) -> tuple[tuple[Any, ...], npt.NDArray[np.bool_]]:
    """Return the page's hits and the matching documents, ranked by Whoosh's searcher."""
    # A phrase's matches are few, and ranking verifies their word positions anyway: collect
    # them all there, rather than verifying every position a second time just to count.
    every = parsed is not None and _has_phrase_query(parsed.query)
    newest = parsed is None or request.sort is Sort.NEWEST
    limit = request.page * request.page_size
    window = limit + (0 if newest else PHRASE_WINDOW)
    ranked, seen = _ranked(reader, query, filters, None if every else window, newest, window)
    if seen is None:
        assert parsed is not None  # without a query, filters alone are answered above
        match = And([parsed.query, *filters]) if filters else parsed.query
        seen = term_docs.matching(reader.searcher, match, reader.version)
    matched = np.zeros(len(reader.days), dtype=np.bool_)
    matched[np.fromiter(seen, dtype=np.int64, count=len(seen))] = True
    return _finish_page(reader, ranked, request, parsed, newest, limit), matched


def _finish_page(
    reader: Reader,
    ranked: list[Any],
    request: SearchRequest,
    parsed: ParsedQuery | None,
    newest: bool,
    limit: int,
) -> tuple[Any, ...]:
    """Lift hits holding the query's words in a row, then cut the page out of the window."""
    if not newest:
        days = reader.days
        phrase = parsed.phrase if parsed else None
        scores = {
            hit.docnum: hit.score * (PHRASE_BOOST if _has_phrase(hit, phrase) else 1.0)
            for hit in ranked
        }
        # A newer edition wins a tie. Sorting the fetched window keeps Whoosh's block-max
        # skipping, which a scoring hook (`use_final`) would switch off for every search.
        ranked.sort(key=lambda hit: (-round(scores[hit.docnum], 6), -days[hit.docnum]))
    start = (request.page - 1) * request.page_size
    return snippets.to_hits(ranked[start:limit])


def _hits(results: Any, keep: int) -> list[Any]:
    results.fragmenter, results.formatter = snippets.FRAGMENTER, snippets.FORMATTER
    # Not list(results): Results.__len__ counts every match, which costs more than the search.
    return [results[n] for n in range(min(keep, results.scored_length()))]


def _ranked(
    reader: Reader, query: Query, filters: list[Query], limit: int | None, newest: bool, keep: int
) -> tuple[list[Any], set[int] | None]:
    """Return the top `limit` Whoosh hits by score (or by date) within the time limit; with no
    limit, every match is collected and its document numbers come back too. At most `keep`
    hits are made into Whoosh Hit objects."""
    searcher = reader.searcher
    sortedby = FieldFacet("day", reverse=True) if newest else None
    timed = TimeLimitCollector(
        searcher.collector(limit=limit, sortedby=sortedby), timelimit=TIME_LIMIT_S, use_alarm=False
    )
    # The filter wraps outermost: wrapping collectors feed their child directly, past any filter inside.
    outer = FilterCollector(timed, allow=And(filters)) if filters else timed
    with contextlib.suppress(TimeLimit):  # keep what was found in time
        searcher.search_with_collector(query, outer)
    results = outer.results()
    hits = _hits(results, keep)
    return hits, ({docnum for _score, docnum in results.top_n} if limit is None else None)


def _has_phrase_query(query: Query) -> bool:
    return any(isinstance(leaf, Phrase) for leaf in query.leaves()) or isinstance(query, Phrase)


def _has_phrase(hit: Any, phrase: re.Pattern[str] | None) -> bool:
    if phrase is None:
        return False
    fields = hit.fields()
    return any(phrase.search(fold(fields.get(name, ""))) for name in PHRASE_FIELDS)
