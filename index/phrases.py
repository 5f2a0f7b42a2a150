"""Quoted phrases checked over word positions, a whole posting list at a time.

Whoosh answers `"quiet strategy"` by walking both words' posting lists together and, for
every document holding both (a thousand in the body field at 3,000 editions), decoding each
word's positions and comparing them in Python: 30-90 ms, the slowest cold searches. Here a
phrase is words at positions p, p + 1, ... in one document, found with a few array
operations over the positions of each word (index/flat.py) in the documents holding every
word. (Keeping each word's positions per process, as session 7 did, saved under a
millisecond a phrase once they came from the flat arrays, for 32 MB a worker.)

Which documents match comes from here; the score, as Whoosh gives it, is the sum of the
words' scores in the field times the phrase's boost (index/ranking.py);
`tests/index/test_ranking.py` compares phrases with Whoosh's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from index.flat import segment_lists

# A document number and a position in one integer: positions of one document sort together.
_SHIFT = 32

Keys = npt.NDArray[np.int64]
Docs = npt.NDArray[np.int32]
Mask = npt.NDArray[np.bool_]


def in_a_row(searcher: Any, fieldname: str, words: list[str], docs: Docs) -> Docs:
    """Return which of `docs` (ascending, each holding every word) hold the words in a row."""
    candidates = np.zeros(searcher.doc_count_all(), dtype=np.bool_)
    candidates[docs] = True
    starts: Keys | None = None
    for offset, word in enumerate(words):
        keys = _keys(searcher, fieldname, word)
        keys = keys[candidates[keys >> _SHIFT]]  # deleted documents are no candidates
        starts = keys - offset if starts is None else starts[in_sorted(starts, keys - offset)]
        if not len(starts):
            break
    if starts is None:
        return docs
    found = (starts >> _SHIFT).astype(docs.dtype)  # ascending, a document once per start
    return found[np.concatenate(([True], found[1:] != found[:-1]))] if len(found) else found


def in_sorted(values: Any, ascending: Any) -> Mask:
    """Return which of `values` are in the ascending array `ascending` (binary searches: no
    sort, unlike np.isin)."""
    if not len(ascending):
        return np.zeros(len(values), dtype=np.bool_)
    where = np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)
    found: Mask = ascending[where] == values
    return found


def _keys(searcher: Any, fieldname: str, word: str) -> Keys:
    """Return document << 32 | position for every position of a word in a field, sorted."""
    keys = [
        (np.repeat(found.docs.astype(np.int64) + offset, found.counts) << _SHIFT) | found.positions
        for found, offset in segment_lists(searcher, fieldname, word, with_positions=True)
    ]
    return np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
