"""A deterministic synthetic archive for benchmarks and tests (never real editions).

Every file says DEMO DATA in its front matter, every slug starts with `demo-`,
and every url points at the reserved `.example` domain.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from pathlib import Path

from portal.demo.words import WordBank
from portal.editions.markdown import render_markdown
from portal.editions.records import EditionRecord, LinkRecord, slugify

DEMO_COMMENT = (
    "DEMO DATA: a synthetic edition written by `flask editions demo`.\n"
    "It is not a real PRODUCTHEAD edition; do not publish it."
)
FIRST_DAY, LAST_DAY = dt.date(2014, 1, 6), dt.date(2026, 10, 26)

SOURCES = (
    ("TechCrunch", ("Ron Miller", "Sarah Perez")),
    ("WIRED", ("Stephen Armstrong",)),
    ("Stratechery", ("Ben Thompson",)),
    ("NfX", ("Pete Flint", "James Currier")),
    ("Mind the Product", ("Martin Eriksson", "Janna Bastow")),
    ("Harvard Business Review", ()),
    ("Lenny's Newsletter", ("Lenny Rachitsky",)),
    ("SVPG", ("Marty Cagan",)),
    ("First Round Review", ()),
    ("a16z", ("Andrew Chen",)),
    ("The Verge", ("Casey Newton",)),
    ("Intercom", ("Des Traynor",)),
    ("Reforge", ("Brian Balfour",)),
    ("Medium", ()),
)
LINK_WORDS = (
    "Read the article",
    "Full story",
    "The case study",
    "Listen to the episode",
    "Summary / Full talk",
)


def demo_editions(count: int, themes: Sequence[str], seed: int = 2021) -> Iterator[EditionRecord]:
    """Yield `count` synthetic editions, the same ones for the same arguments."""
    words = WordBank(random.Random(seed))
    span = (LAST_DAY - FIRST_DAY).days
    for number in range(1, count + 1):
        date = (
            None
            if number % 97 == 0
            else FIRST_DAY + dt.timedelta(days=span * number // max(count, 1))
        )
        yield _edition(words, number, date, themes)


def write_demo_archive(folder: Path, count: int, themes: Sequence[str]) -> int:
    """Write the demo archive into `folder` and return how many files were written."""
    folder.mkdir(parents=True, exist_ok=True)
    for record in demo_editions(count, themes):
        (folder / f"{record.slug}.md").write_text(
            render_markdown(record, comment=DEMO_COMMENT), encoding="utf-8"
        )
    return count


def _edition(
    words: WordBank, number: int, date: dt.date | None, themes: Sequence[str]
) -> EditionRecord:
    rng = words.rng
    title = words.title()
    chosen = tuple(sorted(rng.sample(list(themes), k=min(len(themes), rng.randint(1, 3)))))
    return EditionRecord(
        slug=f"demo-{number:04d}-{slugify(title)}",
        title=title,
        date=date,
        highlights=tuple(words.sentence() for _ in range(rng.randint(3, 5))),
        intro=tuple(_paragraph(words, 40, 90) for _ in range(rng.randint(2, 4))),
        curated=tuple(_link(words, chosen) for _ in range(rng.randint(4, 8))),
        recent_posts=tuple(_link(words, chosen, own=True) for _ in range(rng.randint(0, 3))),
        themes=chosen,
    )


def _link(words: WordBank, themes: tuple[str, ...], own: bool = False) -> LinkRecord:
    rng = words.rng
    headline = words.title()
    source, authors = ("I Manage Products", ()) if own else rng.choice(SOURCES)
    return LinkRecord(
        headline=headline,
        blurb=tuple(_paragraph(words, 30, 80) for _ in range(1 if rng.random() < 0.8 else 2)),
        link_text=rng.choice(LINK_WORDS),
        source=source,
        author=rng.choice(authors) if authors else None,
        url=f"https://{slugify(source)}.example/{slugify(headline)}",
        themes=tuple(sorted(set(rng.sample(themes, k=rng.randint(0, len(themes)))))),
    )


def _paragraph(words: WordBank, low: int, high: int) -> str:
    """Return sentences totalling between `low` and `high` words (a blurb or intro paragraph)."""
    target = words.rng.randint(low, high)
    sentences: list[str] = []
    while sum(len(s.split()) for s in sentences) < target:
        sentences.append(words.sentence())
    kept = " ".join(sentences).split()[:target]
    return " ".join(kept).rstrip(".") + "."
