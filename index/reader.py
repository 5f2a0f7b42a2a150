"""One thread's view of a build: its Whoosh searcher, and the columns facets and ties read.

Facet counts and the newer-wins tie-break read a value per document for every match, so
they are read once per generation into arrays (`Columns`), which every thread's reader of
that generation shares: only the Whoosh searcher, which keeps file positions, is per thread.
"""

from __future__ import annotations

import functools
import os
import struct
import threading
import time
import weakref
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.columns import NumericColumn, TranslatingColumnReader, VarBytesColumn
from whoosh.index import FileIndex
from whoosh.searching import Searcher

# A folder listing is trusted only when made this long after the folder last changed: a
# change within the clock's granularity of the listing could leave the same mtime.
RACY_SECONDS = 1.0


@dataclass(frozen=True)
class Columns:
    """Per document number of one generation: its day, and its facet values."""

    days: npt.NDArray[np.int64]
    facets: dict[str, Facet]

    @classmethod
    def read(cls, reader: Any) -> Columns:
        themes = [value.decode().split() for value in column(reader, "theme_set")]
        facets = {
            "theme": Facet.of_sets(themes),
            "year": Facet.of_values(column(reader, "year")),
            "source": Facet.of_values(column(reader, "source_slug")),
        }
        return cls(np.array(column(reader, "day"), dtype=np.int64), facets)


class SharedColumns:
    """The latest generation's Columns, read by the first thread that asks; thread-safe.

    Each segment's columns are kept by segment and joined for a generation: an import adds a
    small segment, so a new generation reads only that one (at 30,000 editions, reading
    every segment's columns again took seconds after each import).
    """

    def __init__(self) -> None:
        self._kept: tuple[tuple[Path, int], Columns] | None = None
        self._segments: dict[tuple[Path, str, int], Columns] = {}
        self._lock = threading.Lock()

    def of(self, build: Path, generation: int, reader: Any) -> Columns:
        with self._lock:  # the other threads wait for the arrays rather than read their own
            if self._kept is None or self._kept[0] != (build, generation):
                self._kept = ((build, generation), self._join(build, reader))
            return self._kept[1]

    def _join(self, build: Path, reader: Any) -> Columns:
        leaves = list(reader.leaf_readers())
        if not leaves or not all(hasattr(leaf, "segment") for leaf, _offset in leaves):
            return Columns.read(reader)
        segments = {}
        for leaf, _offset in leaves:
            key = (build, leaf.segment().segment_id(), leaf.doc_count_all())
            segments[key] = self._segments.get(key) or Columns.read(leaf)
        self._segments = segments  # a merged-away segment is forgotten
        parts = list(segments.values())
        offsets = [offset for _leaf, offset in leaves]
        return Columns(
            np.concatenate([part.days for part in parts]),
            {
                name: Facet.join(
                    [
                        (part.facets[name], offset)
                        for part, offset in zip(parts, offsets, strict=True)
                    ]
                )
                for name in parts[0].facets
            },
        )


class LatestGeneration:
    """The latest generation of a build, listed again only when its folder changed.

    Whoosh lists the build's folder (about 45 files) to find the newest table of contents;
    a commit adds one, which changes the folder's mtime, so one stat tells the same.
    """

    def __init__(self) -> None:
        # {build: ((inode, mtime in ns), when it was listed, generation)}
        self._kept: dict[Path, tuple[tuple[int, int], float, int]] = {}

    def of(self, build: Path, ix: FileIndex) -> int:
        """Return the build's latest generation (what `ix.latest_generation()` returns)."""
        try:
            stat = os.stat(build)
        except OSError:
            return int(ix.latest_generation())
        signature = (stat.st_ino, stat.st_mtime_ns)
        kept = self._kept.get(build)
        if kept and kept[0] == signature and kept[1] - stat.st_mtime_ns / 1e9 > RACY_SECONDS:
            return kept[2]
        listed_at = time.time()
        generation = int(ix.latest_generation())
        self._kept = {build: (signature, listed_at, generation)}
        return generation


@dataclass
class Reader:
    """One thread's searcher on one generation of one build, with that generation's columns."""

    build: Path
    generation: int
    searcher: Any
    columns: Columns
    _close: Any = None

    @classmethod
    def open(cls, build: Path, ix: FileIndex, shared: SharedColumns) -> Reader:
        reader = ix.reader()
        # The generation actually read, should a commit land meanwhile; an empty index's
        # reader has none.
        generation = reader.generation()
        if generation is None:
            generation = ix.latest_generation()
        columns = shared.of(build, generation, reader)
        searcher = Searcher(reader, fromindex=ix)
        opened = cls(build, generation, searcher, columns)
        # A thread that ends drops its reader: close the segment files then, not at exit.
        opened._close = weakref.finalize(opened, searcher.close)
        return opened

    def close(self) -> None:
        """Close the searcher's files (once, however often called)."""
        self._close()

    @property
    def version(self) -> tuple[Path, int]:
        return self.build, self.generation

    @property
    def days(self) -> npt.NDArray[np.int64]:
        return self.columns.days

    @property
    def facets(self) -> dict[str, Facet]:
        return self.columns.facets


@dataclass(frozen=True)
class Facet:
    """One facet's names, and its (document number, name number) pairs: a document may have
    several names (themes) or none."""

    names: tuple[str, ...]
    docs: npt.NDArray[np.int32]
    codes: npt.NDArray[np.int32]

    @classmethod
    def of_values(cls, values: list[Any]) -> Facet:
        """The facet of one value (or none, when empty) per document."""
        names = tuple(sorted(set(values) - {None, ""}))
        number = {name: n for n, name in enumerate(names)}
        codes = np.array([number.get(value, -1) if value else -1 for value in values], np.int32)
        docs = np.flatnonzero(codes >= 0).astype(np.int32)
        return cls(names, docs, codes[docs])

    @classmethod
    def of_sets(cls, sets: list[list[str]]) -> Facet:
        """The facet of any number of names per document."""
        every = list(chain.from_iterable(sets))
        names = tuple(sorted(set(every)))
        number = {name: n for n, name in enumerate(names)}
        docs = np.repeat(np.arange(len(sets), dtype=np.int32), [len(names) for names in sets])
        return cls(names, docs, np.array([number[name] for name in every], dtype=np.int32))

    @classmethod
    def join(cls, parts: list[tuple[Facet, int]]) -> Facet:
        """Return the facet of segments one after another, each from its first document number."""
        names = tuple(sorted({name for facet, _offset in parts for name in facet.names}))
        number = {name: n for n, name in enumerate(names)}
        codes = [
            np.array([number[name] for name in facet.names], dtype=np.int32)[facet.codes]
            for facet, _offset in parts
        ]
        docs = [facet.docs + offset for facet, offset in parts]
        return cls(
            names, np.concatenate(docs).astype(np.int32), np.concatenate(codes).astype(np.int32)
        )

    def counts(self, matched: npt.NDArray[np.bool_]) -> list[tuple[str, int]]:
        """Return (name, documents among `matched`) for every name with at least one."""
        per_document = self._per_document
        if per_document is None:
            totals = np.bincount(self.codes[matched[self.docs]], minlength=len(self.names))
        else:  # half the work at 30,000 editions: no (document, name) pairs to pick from
            chosen = per_document[matched[: len(per_document)]]
            totals = np.bincount(chosen, minlength=len(self.names) + 1)[: len(self.names)]
        return [(name, int(n)) for name, n in zip(self.names, totals, strict=True) if n]

    @functools.cached_property
    def _per_document(self) -> npt.NDArray[np.int32] | None:
        """Each document's name number (one past the last for none), when no document has
        two names (years, sources); None for a facet like themes."""
        if len(self.docs) > 1 and bool(np.any(self.docs[1:] == self.docs[:-1])):
            return None
        size = int(self.docs.max()) + 1 if len(self.docs) else 0
        per_document = np.full(size, len(self.names), dtype=np.int32)
        per_document[self.docs] = self.codes
        return per_document


def column(reader: Any, name: str) -> list[Any]:
    """Return a column's value for every document number, segment by segment.

    Over several segments Whoosh's combined column reader reports length 0, stops
    iterating early and fails on item access; each segment's own reader is right.
    """
    values: list[Any] = []
    for leaf, _offset in reader.leaf_readers():
        values.extend(segment_column(leaf.column_reader(name), leaf.doc_count_all()))
    return values


def segment_column(column: Any, count: int) -> list[Any]:
    """Return one segment's column values, each as Whoosh's reader gives it.

    Whoosh reads a value at a time, a seek and a read each: 2.2 s for the four columns of
    30,000 editions, before a new worker's first answer. The variable-length and numeric
    columns are read here in one piece and cut up (`tests/index/test_columns.py` compares).
    """
    raw = column._reader if isinstance(column, TranslatingColumnReader) else column
    translate = column._translate if raw is not column else None
    if type(raw) is VarBytesColumn.Reader and raw._doccount == count:
        data = raw._dbfile.get(raw._basepos, sum(raw._lengths))
        found: list[Any] = [
            data[o : o + n] for o, n in zip(raw._offsets, raw._lengths, strict=True)
        ]
    elif type(raw) is NumericColumn.Reader and raw._doccount == raw._count == count:
        data = raw._dbfile.get(raw._basepos, count * raw._fixedlen)
        found = [value for (value,) in struct.iter_unpack("!" + raw._typecode, data)]
    else:
        return [column[docnum] for docnum in range(count)]
    return found if translate is None else list(map(translate, found))
