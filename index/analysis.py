"""Text analysis shared by indexing and querying: Unicode-normalised, accent-folded words."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.support.charset import accent_map


class NormalizeFilter(Filter):  # type: ignore[misc]
    """Bring each token to Unicode NFKC, so ligatures and full-width forms match plain letters."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            if not token.text.isascii():  # ASCII is already in NFKC; skip the call for speed
                token.text = unicodedata.normalize("NFKC", token.text)
            yield token


def _words() -> Any:
    # Accent folding comes before stemming, so `resume` and `résumé` stem alike.
    return RegexTokenizer() | NormalizeFilter() | LowercaseFilter() | CharsetFilter(accent_map)


def text_analyzer() -> Any:
    """Return the analyzer of searchable text: folded, stop words dropped, stemmed."""
    return _words() | StopFilter() | StemFilter()


def spelling_analyzer() -> Any:
    """Return the analyzer of the spelling field: folded words, unstemmed, so suggestions are real words."""
    return _words() | StopFilter(minsize=3)
