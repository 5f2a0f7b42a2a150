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
from typing import Any

import numpy as np
import numpy.typing as npt

from index.flat import segment_lists

# Positions kept per process, 8 bytes each with their documents: 32 MB when full. The
# body field of the 3,000-edition demo archive holds about 1.9 million.
MAX_KEPT = 4_000_000
# A document number and a position in one integer: positions of one document sort together.
_SHIFT = 32

Keys = npt.NDArray[np.int64]
Docs = npt.NDArray[np.int32]
Mask = npt.NDArray[np.bool_]


class Positions:
    """Each (field, word)'s positions as document-and-position keys, per index version."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self.max_kept = max_kept
        self._kept: OrderedDict[tuple[Any, ...], Keys] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def in_a_row(
        self, searcher: Any, version: tuple[Any, ...], fieldname: str, words: list[str], docs: Docs
    ) -> Docs:
        """Return which of `docs` (ascending, each holding every word) hold the words in a row."""
        candidates = np.zeros(searcher.doc_count_all(), dtype=np.bool_)
        candidates[docs] = True
        starts: Keys | None = None
        for offset, word in enumerate(words):
            keys = self.keys(searcher, version, fieldname, word)
            keys = keys[candidates[keys >> _SHIFT]]  # deleted documents are no candidates
            starts = keys - offset if starts is None else starts[in_sorted(starts, keys - offset)]
            if not len(starts):
                break
        if starts is None:
            return docs
        found = (starts >> _SHIFT).astype(docs.dtype)  # ascending, a document once per start
        return found[np.concatenate(([True], found[1:] != found[:-1]))] if len(found) else found

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


def in_sorted(values: Any, ascending: Any) -> Mask:
    """Return which of `values` are in the ascending array `ascending` (binary searches: no
    sort, unlike np.isin)."""
    if not len(ascending):
        return np.zeros(len(values), dtype=np.bool_)
    where = np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)
    found: Mask = ascending[where] == values
    return found


def _read(searcher: Any, fieldname: str, word: str) -> Keys:
    """Read a word's positions in a field from every segment, as sorted keys."""
    keys = [
        (np.repeat(found.docs.astype(np.int64) + offset, found.counts) << _SHIFT) | found.positions
        for found, offset in segment_lists(searcher, fieldname, word, with_positions=True)
    ]
    return np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
