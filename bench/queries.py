"""A fixed, deterministic mix of reader searches over the demo archive."""

from __future__ import annotations

import random

from index import SearchRequest, Sort
from portal.demo.editions import SOURCES
from portal.demo.words import WordBank

THEMES = (
    "platforms",
    "stakeholders",
    "risk",
    "strategy",
    "discovery",
    "metrics",
    "roadmaps",
    "leadership",
)


def _misspell(rng: random.Random, word: str) -> str:
    """Drop or swap one letter after the first, as a hurried reader would."""
    at = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:at] + word[at + 1 :]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def query_mix(count: int = 240, seed: int = 7) -> list[SearchRequest]:
    """Return `count` searches: words, phrases, fields, filters, OR/NOT and misspellings."""
    rng = random.Random(seed)
    bank = WordBank(rng)  # readers search popular words more often, as the archive uses them more
    pick = lambda: bank.word(rng.choice(("noun", "noun", "adjective", "verb")))  # noqa: E731
    makers = [
        lambda: SearchRequest(pick()),
        lambda: SearchRequest(f"{pick()} {pick()}"),
        lambda: SearchRequest(f'"{bank.word("adjective")} {bank.word("noun")}"'),
        lambda: SearchRequest(f"{pick()} OR {pick()}"),
        lambda: SearchRequest(f"{pick()} -{pick()}"),
        lambda: SearchRequest(f"theme:{rng.choice(THEMES)} {pick()}"),
        lambda: SearchRequest(f"source:{rng.choice(SOURCES)[0].split()[0].lower()} {pick()}"),
        lambda: SearchRequest(f"year:{rng.randint(2014, 2026)} {pick()}"),
        lambda: SearchRequest(pick(), theme=rng.choice(THEMES)),
        lambda: SearchRequest(pick(), year=str(rng.randint(2014, 2026)), sort=Sort.NEWEST),
        lambda: SearchRequest(_misspell(rng, pick())),
        lambda: SearchRequest(f"{_misspell(rng, pick())} {pick()}"),
    ]
    return [makers[n % len(makers)]() for n in range(count)]


def zipf_stream(
    queries: list[SearchRequest], length: int, seed: int = 11, s: float = 1.1
) -> list[SearchRequest]:
    """Return a stream where popular queries repeat: query k comes with weight 1 / k**s."""
    rng = random.Random(seed)
    weights = [1 / (rank**s) for rank in range(1, len(queries) + 1)]
    return rng.choices(queries, weights=weights, k=length)
