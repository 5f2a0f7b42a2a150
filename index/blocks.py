"""Reading Whoosh's posting blocks faster than its own matcher does, for index/ranking.py and
index/phrases.py, which read whole posting lists into arrays.

Uses Whoosh's W3 block internals (`_data`, `_read_data`, `_byteids`), stable in the pinned
whoosh-reloaded 2.7.5; `tests/index/test_ranking.py` compares every result with Whoosh's.
"""

from __future__ import annotations

from itertools import accumulate
from typing import Any


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
