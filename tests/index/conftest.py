"""Index tests build real indexes on disk from plain documents; no Flask, no database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import index
from index import EditionDocument, LinkDocument


def link(headline: str, blurb: str = "", **fields: object) -> LinkDocument:
    """Return a curated link with sensible defaults."""
    values: dict[str, object] = {
        "section": "curated",
        "position": 1,
        "headline": headline,
        "blurb": (blurb,) if blurb else (),
        "link_text": "Read it",
        "source": "Example Weekly",
        "source_slug": "example-weekly",
    }
    values.update(fields)
    return LinkDocument(**values)  # type: ignore[arg-type]


def edition(
    slug: str, title: str, date: dt.date | None = None, *links: LinkDocument, **fields: object
) -> EditionDocument:
    """Return an edition whose links get positions 1, 2, ... in order."""
    numbered = tuple(
        LinkDocument(**{**item.__dict__, "position": n}) for n, item in enumerate(links, 1)
    )
    values: dict[str, object] = {
        "slug": slug,
        "title": title,
        "date": date,
        "highlights": (),
        "intro": ("An intro.",),
        "themes": (),
        "content_hash": f"hash-{slug}",
        "links": numbered,
    }
    values.update(fields)
    return EditionDocument(**values)  # type: ignore[arg-type]


LIBRARY = [
    edition(
        "platforms",
        "Will platforms conquer the world?",
        dt.date(2021, 6, 7),
        link(
            "How AWS came to be",
            "Amazon was struggling with internal scaling problems.",
            author="Ron Miller",
            source="TechCrunch",
            source_slug="techcrunch",
            themes=("platforms",),
            link_text="A struggle with internal scaling",
        ),
        link(
            "The untold story of Stripe",
            "Payments for the internet.",
            author="Stephen Armstrong",
            source="WIRED",
            source_slug="wired",
            themes=("platforms",),
        ),
        highlights=("Platforms connect different sides of a market",),
        intro=("I recently joined a panel about platforms.",),
        themes=("platforms",),
    ),
    edition(
        "careers",
        "Writing a product manager résumé",
        dt.date(2022, 3, 1),
        link(
            "Your résumé is a product",
            "Treat your CV like a landing page.",
            author="Ada Lovelace",
            themes=("leadership",),
        ),
        link(
            "Scaling teams",
            "Scaling a team is not scaling a system: internal politics matter.",
            themes=("leadership",),
        ),
        intro=("Hiring season is here.",),
        themes=("leadership",),
    ),
    edition(
        "danger",
        "Escaping <script>alert(1)</script> in snippets",
        None,
        link(
            "A <b>bold</b> headline",
            "Blurbs may hold <script>alert('x')</script> & other markup about stakeholders.",
        ),
        intro=("Nothing to see: <img src=x onerror=alert(1)> stakeholders.",),
    ),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Return an index folder built from LIBRARY."""
    target = tmp_path / "index"
    index.rebuild(target, LIBRARY)
    return target


@pytest.fixture
def searcher(folder: Path) -> index.SearchIndex:
    """Return a SearchIndex over LIBRARY."""
    return index.SearchIndex(folder)
