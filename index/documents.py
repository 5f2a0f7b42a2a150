"""What callers hand the index: plain dataclasses, turned here into Whoosh documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LinkDocument:
    """A curated link or recent post, as the index needs it."""

    section: str
    position: int
    headline: str
    blurb: tuple[str, ...]
    link_text: str
    source: str
    source_slug: str
    author: str | None = None
    url: str | None = None
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EditionDocument:
    """An edition with its links; `content_hash` tells `update` whether it changed."""

    slug: str
    title: str
    date: dt.date | None
    highlights: tuple[str, ...]
    intro: tuple[str, ...]
    themes: tuple[str, ...]
    content_hash: str
    links: tuple[LinkDocument, ...] = ()


def whoosh_documents(edition: EditionDocument) -> Iterator[dict[str, Any]]:
    """Yield the edition's own document, then one per link."""
    common = {
        "edition": edition.slug,
        "edition_title": edition.title,
        "edition_date": edition.date.isoformat() if edition.date else "",
        "day": edition.date.toordinal() if edition.date else 0,
    }
    if edition.date:
        common["year"] = str(edition.date.year)
    yield common | {
        "key": f"edition:{edition.slug}",
        "kind": "edition",
        "title": edition.title,
        "highlights": "\n".join(edition.highlights),
        "body": "\n\n".join(edition.intro),
        "theme": " ".join(edition.themes),
        "theme_set": " ".join(edition.themes).encode(),
        "content_hash": edition.content_hash,
        "spell": " ".join((edition.title, *edition.highlights, *edition.intro)),
    }
    for link in edition.links:
        yield common | _link_fields(edition.slug, link)


def _link_fields(slug: str, link: LinkDocument) -> dict[str, Any]:
    fields = {
        "key": f"link:{slug}:{link.section}:{link.position}",
        "kind": "link",
        "title": link.headline,
        "body": "\n\n".join(link.blurb),
        "link_text": link.link_text,
        "source": link.source,
        "source_slug": link.source_slug,
        "theme": " ".join(link.themes),
        "theme_set": " ".join(link.themes).encode(),
        "section": link.section,
        "position": link.position,
        "spell": " ".join(
            (link.headline, *link.blurb, link.link_text, link.source, link.author or "")
        ),
    }
    if link.author:
        fields["author"] = link.author
    if link.url:
        fields["url"] = link.url
    return fields
