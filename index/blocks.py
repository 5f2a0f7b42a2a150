"""Reading whole posting lists and columns into arrays, faster than Whoosh's own matchers
and column readers do, for index/ranking.py and index/phrases.py.

Uses Whoosh's W3 block internals (`_data`, `_read_data`, `_byteids`, `_next_block`) and the
numeric column reader's (`_dbfile`, `_basepos`, `_count`), stable in the pinned
whoosh-reloaded 2.7.5; `tests/index/test_ranking.py` compares every result with Whoosh's.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate, chain
from pickle import loads
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.system import _INT_SIZE

# Where a Positions value's pickled list starts: after the count and the pickle's header.
_BODY = _INT_SIZE + 2


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


def block_weights(matcher: Any, count: int) -> Any:
    """Return the weights of a W3LeafMatcher's current block, as Whoosh's _read_weights
    reads them: one float for a block of equal weights, none for weights of 1."""
    stored = matcher._data[1]
    if stored is None:
        return [1.0] * count
    if isinstance(stored, float):
        return [stored] * count
    return stored


def decode_positions(values: Any) -> list[list[int]]:
    """Decode a block of Whoosh's Positions values, the position gaps of each posting, with
    one `pickle.loads`.

    Each value is a 4-byte count, then a pickled list of position gaps (protocol 2: a
    2-byte header, the list, and a STOP that Whoosh may have dropped). The lists, their
    headers and STOPs cut off, are put one after another inside a pickled list of lists.
    """
    lists: list[list[int]] = loads(
        b"\x80\x02("
        + b"".join([v[_BODY:-1] if v[-1:] == b"." else v[_BODY:] for v in values])
        + b"l."
    )
    return lists


@dataclass(frozen=True)
class TermList:
    """One term's postings in one segment: the segment's own document numbers (deleted ones
    included), their weights, and with positions, each one's count and the positions."""

    docs: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float32]
    counts: npt.NDArray[np.int32]
    positions: npt.NDArray[np.int32]


def read_list(
    leaf: Any, fieldname: str, text: bytes | str, with_positions: bool, info: Any = None
) -> TermList:
    """Read a term's postings in a segment from Whoosh's blocks (or its term file, where
    Whoosh keeps a list of one); positions only `with_positions` (and if the field has them).
    `info`, the term's W3TermInfo when the caller has it, saves looking it up again."""
    text = leaf.schema[fieldname].to_bytes(text) if isinstance(text, str) else text
    field_format = leaf.schema[fieldname].format
    terms = leaf._terms
    if info is None:
        matcher = terms.matcher(fieldname, text, field_format)
    else:
        matcher = terms._codec.postings_reader(terms._postfile, info, field_format)
    with_positions = with_positions and has_positions(leaf.schema[fieldname])
    docs: list[int] = []
    weights: list[float] = []
    gaps: list[list[int]] = []
    if not isinstance(matcher, W3LeafMatcher):  # a ListMatcher, over the inlined list
        docs, weights = list(matcher._ids), list(matcher._weights)
        gaps = decode_positions(matcher._values) if with_positions else []
    while isinstance(matcher, W3LeafMatcher) and matcher.is_active():
        ids = block_ids(matcher)
        docs.extend(ids)
        weights.extend(block_weights(matcher, len(ids)))
        if with_positions:
            matcher._read_values()
            gaps.extend(decode_positions(matcher._values))
        matcher._next_block()
    counts = np.array([len(g) for g in gaps], dtype=np.int32)
    return TermList(
        np.array(docs, dtype=np.int32),
        np.array(weights, dtype=np.float32),
        counts,
        _absolute(gaps, counts).astype(np.int32),
    )


def has_positions(field: Any) -> bool:
    """Return whether a schema field stores word positions."""
    return bool(field.format and field.format.supports("positions"))


def _absolute(gaps: list[list[int]], counts: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    """Turn each posting's gaps from the previous position into positions."""
    flat = np.fromiter(chain.from_iterable(gaps), dtype=np.int64, count=int(counts.sum()))
    if not len(flat):
        return flat
    running = np.cumsum(flat)
    # Subtract, in each posting, the running total before its first gap.
    before = running - flat
    firsts = (np.cumsum(counts) - counts)[counts > 0]
    positions: npt.NDArray[np.int64] = running - np.repeat(before[firsts], counts[counts > 0])
    return positions


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
