"""Atom and JSON Feed 1.1 documents from plain entries; ElementTree and json do the escaping.

Atom: RFC 4287 (https://www.rfc-editor.org/rfc/rfc4287). JSON Feed:
https://www.jsonfeed.org/version/1.1/. Neither knows Flask or a database session; times are
made UTC by the model's `utc`.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from portal.models import utc

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_TYPE = "application/atom+xml"
JSON_FEED_TYPE = "application/feed+json"
# Atom requires a feed's `updated`; a feed with no entries has never changed.
NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Characters XML 1.0 cannot carry at all, not even escaped (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: an edition with absolute URLs and its content as HTML."""

    id: str
    url: str
    title: str
    summary: str
    content_html: str
    published: dt.datetime
    updated: dt.datetime
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feed:
    """A feed's own details and its entries, newest first."""

    title: str
    description: str
    home_url: str
    atom_url: str
    json_url: str
    author: str
    language: str
    entries: tuple[FeedEntry, ...]

    @property
    def updated(self) -> dt.datetime:
        """Return when the newest change to any entry happened."""
        return max((entry.updated for entry in self.entries), default=NEVER)


def timestamp(value: dt.datetime) -> str:
    """Return an RFC 3339 time in UTC, as Atom, JSON Feed and sitemaps want it."""
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_document(feed: Feed) -> bytes:
    """Return the feed as an Atom 1.0 document, UTF-8 encoded."""
    root = ET.Element("feed", {"xmlns": ATOM_NAMESPACE, _XML_LANG: feed.language})
    _add(root, "id", feed.atom_url)
    _add(root, "title", feed.title)
    _add(root, "subtitle", feed.description)
    _add(root, "updated", timestamp(feed.updated))
    ET.SubElement(root, "link", rel="self", type=ATOM_TYPE, href=feed.atom_url)
    ET.SubElement(root, "link", rel="alternate", type="text/html", href=feed.home_url)
    _add(ET.SubElement(root, "author"), "name", feed.author)
    for entry in feed.entries:
        _atom_entry(root, entry)
    return xml_bytes(root)


def xml_bytes(root: ET.Element) -> bytes:
    """Return an XML document, UTF-8 encoded with its declaration."""
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _atom_entry(root: ET.Element, entry: FeedEntry) -> None:
    element = ET.SubElement(root, "entry")
    _add(element, "id", entry.id)
    _add(element, "title", entry.title)
    ET.SubElement(element, "link", rel="alternate", type="text/html", href=entry.url)
    _add(element, "published", timestamp(entry.published))
    _add(element, "updated", timestamp(entry.updated))
    for tag in entry.tags:
        ET.SubElement(element, "category", term=_xml_text(tag))
    if entry.summary:
        _add(element, "summary", entry.summary)
    _add(element, "content", entry.content_html).set("type", "html")


def _add(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _xml_text(text)
    return element


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def json_feed_document(feed: Feed) -> dict[str, Any]:
    """Return the feed as a JSON Feed 1.1 object (serialise it with json.dumps)."""
    return {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": feed.json_url,
        "description": feed.description,
        "language": feed.language,
        "authors": [{"name": feed.author}],
        "items": [_json_item(entry) for entry in feed.entries],
    }


def _json_item(entry: FeedEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.id,
        "url": entry.url,
        "title": entry.title,
        "content_html": entry.content_html,
        "date_published": timestamp(entry.published),
        "date_modified": timestamp(entry.updated),
    }
    if entry.summary:
        item["summary"] = entry.summary
    if entry.tags:
        item["tags"] = list(entry.tags)
    return item
