"""Reading whole posting lists and columns into arrays, faster than Whoosh's own matchers
and column readers do, for index/ranking.py and index/phrases.py.

Uses Whoosh's W3 block internals (`_data`, `_read_data`, `_byteids`, `_next_block`) and the
numeric column reader's (`_dbfile`, `_basepos`, `_count`), stable in the pinned
whoosh-reloaded 2.7.5; `tests/index/test_ranking.py` compares every result with Whoosh's.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import accumulate
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn


def segment_postings(searcher: Any, fieldname: str, text: bytes | str) -> Iterator[Any]:
    """Yield (posting matcher, first document number) of each segment holding the term."""
    for leaf, offset in searcher.reader().leaf_readers():
        if (fieldname, text) in leaf:
            yield leaf.postings(fieldname, text), offset


def index_numbers(local: list[int], starts: list[tuple[int, int]], dtype: Any) -> Any:
    """Return segments' own document numbers as the index's: `starts` gives, per segment,
    where its numbers start in `local` and its first document number."""
    numbers = np.array(local, dtype=dtype)
    ends = [start for start, _offset in starts[1:]] + [len(local)]
    for (start, offset), end in zip(starts, ends, strict=True):
        numbers[start:end] += offset
    return numbers


def block_ids(matcher: Any) -> list[int]:
    """Return the document numbers of a W3LeafMatcher's current block.

    Whoosh keeps them as gaps and adds them up in a Python generator (`_read_ids`, a step
    per posting: a tenth of a cold search at 30,000 editions); `accumulate` adds in C.
    """
    if matcher._data is None:
        matcher._read_data()
    if matcher._byteids:
        matcher._read_ids()
        return list(matcher._ids)
    return list(accumulate(matcher._data[0]))


def read_postings(matcher: Any, ids: list[int], weights: list[float]) -> None:
    """Append a leaf's posting list to ids and weights, a block at a time when possible."""
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            block = block_ids(matcher)
            ids.extend(block)
            stored = matcher._data[1]  # as Whoosh's _read_weights reads it
            if stored is None:
                weights.extend([1.0] * len(block))
            elif isinstance(stored, float):
                weights.extend([stored] * len(block))
            else:
                weights.extend(stored)
            matcher._next_block()
        return
    while matcher.is_active():  # short lists are kept inline, in a ListMatcher
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()


def byte_column(column: Any, count: int) -> npt.NDArray[np.uint8]:
    """Return a one-byte numeric column's values: read in one piece from its file (a million
    documents in a few milliseconds; a value at a time, it took half a second at 30,000
    editions), or a value at a time from any other column."""
    if type(column) is NumericColumn.Reader and column._typecode == "B" and not column._default:
        values = np.zeros(count, dtype=np.uint8)
        stored = min(column._count, count)  # documents past the last value written have 0
        values[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), np.uint8)
        return values
    return np.fromiter(iter(column), dtype=np.uint8, count=count)
