"""Quoted phrases checked over cached word positions, a whole posting list at a time.

Whoosh answers `"quiet strategy"` by walking both words' posting lists together and, for
every document holding both (a thousand in the body field at 3,000 editions), decoding each
word's positions and comparing them in Python: 30-90 ms, the slowest cold searches. Here
each (field, word)'s positions are decoded once per index generation into flat arrays and
kept (`Positions`, bounded); a phrase is then words at positions p, p + 1, ... in one
document, found with a few array operations over the documents that hold every word.

Which documents match comes from here; the score, as Whoosh gives it, is the sum of the
words' scores in the field times the phrase's boost (index/ranking.py). Blocks are read
through Whoosh's posting internals (`_read_values` here, index/blocks.py for the rest);
`tests/index/test_ranking.py` compares phrases with Whoosh's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import chain
from pickle import loads
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.system import _INT_SIZE

from index.blocks import block_ids, index_numbers, segment_postings

# Positions kept per process, 8 bytes each with their documents: 32 MB when full. The
# body field of the 3,000-edition demo archive holds about 1.9 million.
MAX_KEPT = 4_000_000
# A document number and a position in one integer: positions of one document sort together.
_SHIFT = 32
# Where a Positions value's pickled list starts: after the count and the pickle's header.
_BODY = _INT_SIZE + 2

Keys = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


class Positions:
    """Each (field, word)'s positions as document-and-position keys, per index version."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self.max_kept = max_kept
        self._kept: OrderedDict[tuple[Any, ...], Keys] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def in_a_row(
        self,
        searcher: Any,
        version: tuple[Any, ...],
        fieldname: str,
        words: list[str],
        candidates: Mask,
    ) -> Mask:
        """Return which candidates (documents holding every word) hold the words in a row."""
        starts: Keys | None = None
        for offset, word in enumerate(words):
            keys = self.keys(searcher, version, fieldname, word)
            keys = keys[candidates[keys >> _SHIFT]]  # deleted documents are no candidates
            starts = keys - offset if starts is None else starts[np.isin(starts, keys - offset)]
            if not len(starts):
                break
        found = np.zeros(len(candidates), dtype=np.bool_)
        if starts is not None:
            found[starts >> _SHIFT] = True
        return found

    def keys(self, searcher: Any, version: tuple[Any, ...], fieldname: str, word: str) -> Keys:
        """Return document << 32 | position for every position of a word in a field."""
        key = (*version, fieldname, word)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        found = _read(searcher, fieldname, word)
        with self._lock:
            if self._kept and next(reversed(self._kept))[: len(version)] != version:
                for old in [k for k in self._kept if k[: len(version)] != version]:
                    self._size -= len(self._kept.pop(old))
            if key not in self._kept:  # another thread may have read it meanwhile
                self._kept[key] = found
                self._size += len(found)
            while self._size > self.max_kept and self._kept:
                _key, dropped = self._kept.popitem(last=False)
                self._size -= len(dropped)
        return found


def _read(searcher: Any, fieldname: str, word: str) -> Keys:
    """Read a word's positions in a field from every segment, as sorted keys."""
    field = searcher.schema[fieldname]
    text = field.to_bytes(word)
    docs: list[int] = []
    counts: list[int] = []
    deltas: list[int] = []
    starts = []  # where each segment's documents start, and its first document number
    for matcher, offset in segment_postings(searcher, fieldname, text):
        starts.append((len(docs), offset))
        _read_positions(matcher, docs, counts, deltas)
    if not docs:
        return np.zeros(0, dtype=np.int64)
    per_doc = np.array(counts, dtype=np.int64)
    # Positions are stored as gaps from the previous one in the same document.
    positions = np.cumsum(np.array(deltas, dtype=np.int64))
    firsts = np.cumsum(per_doc) - per_doc
    positions -= np.repeat(positions[firsts] - np.array(deltas, dtype=np.int64)[firsts], per_doc)
    numbers = index_numbers(docs, starts, np.int64)
    return (np.repeat(numbers, per_doc) << _SHIFT) | positions


def _read_positions(matcher: Any, docs: list[int], counts: list[int], deltas: list[int]) -> None:
    """Append a leaf's documents, their number of positions and the position gaps."""
    if not isinstance(matcher, W3LeafMatcher):  # short lists are kept inline, in a ListMatcher
        while matcher.is_active():
            _add_block([matcher.id()], [matcher.value()], docs, counts, deltas)
            matcher.next()
        return
    while matcher.is_active():
        ids = block_ids(matcher)
        matcher._read_values()
        _add_block(ids, matcher._values, docs, counts, deltas)
        matcher._next_block()


def _add_block(
    ids: Any, values: Any, docs: list[int], counts: list[int], deltas: list[int]
) -> None:
    """Decode a block of Whoosh's Positions values with one `pickle.loads`.

    Each value is a 4-byte count, then a pickled list of position gaps (protocol 2: a
    2-byte header, the list, and a STOP that Whoosh may have dropped). The lists, their
    headers and STOPs cut off, are put one after another inside a pickled list of lists.
    """
    lists = loads(
        b"\x80\x02("
        + b"".join([v[_BODY:-1] if v[-1:] == b"." else v[_BODY:] for v in values])
        + b"l."
    )
    docs.extend(ids)
    counts.extend(map(len, lists))
    deltas.extend(chain.from_iterable(lists))
