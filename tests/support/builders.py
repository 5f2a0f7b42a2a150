"""Edition files for tests, written by the real exporter (`render_markdown`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask.testing import FlaskCliRunner

from portal.editions.markdown import render_markdown
from portal.editions.records import EditionRecord, LinkRecord


def link(
    headline: str,
    source: str = "WIRED",
    url: str | None = None,
    themes: tuple[str, ...] = (),
    blurb: str = "A blurb.",
) -> LinkRecord:
    """Return a curated link with the given headline."""
    return LinkRecord(headline, (blurb,), "Read it", source, None, url, themes)


def edition(
    slug: str,
    date: str | None,
    links: tuple[LinkRecord, ...] = (),
    themes: tuple[str, ...] = (),
    posts: tuple[LinkRecord, ...] = (),
) -> EditionRecord:
    """Return an edition; without links it gets one untagged curated link."""
    return EditionRecord(
        slug=slug,
        title=f"Edition {slug}",
        date=dt.date.fromisoformat(date) if date else None,
        highlights=(f"Highlight of {slug}",),
        intro=(f"Intro of {slug}.",),
        curated=links or (link(f"Link of {slug}"),),
        recent_posts=posts,
        themes=themes,
    )


def write(folder: Path, *records: EditionRecord) -> Path:
    """Write each record as `<slug>.md` in the folder and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / f"{record.slug}.md").write_text(render_markdown(record), encoding="utf-8")
    return folder


def import_editions(runner: FlaskCliRunner, folder: Path, *records: EditionRecord) -> None:
    """Write the records into the folder and import them."""
    result = runner.invoke(args=["editions", "import", str(write(folder, *records))])
    assert result.exit_code == 0, result.output
