"""What the edition email says: the stored edition turned into HTML and plain-text pieces."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.editions import paragraphs
from portal.models import Edition, Link
from portal.subscriptions.mail import absolute_url

# Plain text wraps where mail clients expect it; addresses are never broken, so a line
# holding a long one is longer (quoted-printable carries it safely either way).
TEXT_WIDTH = 72


def load_edition(session: Session, slug: str) -> Edition:
    """Return the edition with its links, sources and themes loaded; LookupError if unknown."""
    query = (
        select(Edition)
        .where(Edition.slug == slug)
        .options(selectinload(Edition.links), selectinload(Edition.themes))
    )
    edition = session.scalars(query).first()
    if edition is None:
        raise LookupError(f"no edition has the slug {slug!r}")
    return edition


def safe_url(url: str | None) -> str | None:
    """Return an address a reader may follow (http, https or mailto), or None."""
    return url if url and paragraphs.is_allowed_url(url) else None


def long_date(value: dt.date | None) -> str:
    """Return a date as readers write it ("7 June 2021"), or an empty string."""
    return f"{value.day} {value:%B %Y}" if value else ""


def html_paragraph(paragraph: str) -> Markup:
    """Return a stored intro or blurb paragraph as HTML: escaped text, its links as <a href>."""
    parts = []
    for run in paragraphs.runs(paragraph):
        text = escape(run.text)
        parts.append(Markup('<a href="{}">{}</a>').format(run.url, text) if run.url else text)
    return Markup("").join(parts)


def text_paragraph(paragraph: str, indent: str = "", first: str | None = None) -> str:
    """Return a stored paragraph as wrapped plain text, each link's address written out."""
    words = "".join(f"{r.text} <{r.url}>" if r.url else r.text for r in paragraphs.runs(paragraph))
    return wrap(words, indent, first)


def wrap(text: str, indent: str = "", first: str | None = None) -> str:
    """Return plain text wrapped at TEXT_WIDTH, never breaking a word or an address."""
    return textwrap.fill(
        " ".join(text.split()),
        width=TEXT_WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def preheader(edition: Edition) -> str:
    """Return the line inboxes show after the subject: the first highlight, else the intro's start."""
    texts = [*edition.highlights, *map(paragraphs.plain_text, edition.intro)]
    for text in texts:
        plain = " ".join(text.split())
        if plain:
            return textwrap.shorten(plain, width=150, placeholder="…")
    return ""


def byline(link: Link) -> str:
    """Return "Author, Source" (or the source alone)."""
    return f"{link.author}, {link.source.name}" if link.author else link.source.name


def edition_context(edition: Edition) -> dict[str, Any]:
    """Return what both templates of the edition email need, addresses made absolute."""
    return {
        "edition": edition,
        "date": long_date(edition.date),
        "preheader": preheader(edition),
        "web_url": absolute_url("archive.edition", slug=edition.slug),
        "archive_url": absolute_url("archive.home"),
        "themes": [(t.name, absolute_url("themes.theme", slug=t.slug)) for t in edition.themes],
        "safe_url": safe_url,
        "byline": byline,
        "html_paragraph": html_paragraph,
        "text_paragraph": text_paragraph,
        "wrap": wrap,
    }
