"""RSS 2.0 (`content:encoded`) and Atom (`content` of type html, xhtml or text) feeds.

feedparser is tolerant: it recovers the items before a break in a truncated file. So lxml
judges the file first (xml_source.py), and a feed that is not well-formed is refused whole.
Every text construct is decoded exactly once, as its declared type says: HTML and XHTML
titles become the text a reader sees (`&amp;#8220;` in an Atom title is a curly quote).
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import time
from pathlib import Path
from typing import Any

import feedparser
from lxml.etree import _Element

from portal.editions.records import DocumentOutcome, Origin, Problem
from portal.importing.formats.blocks import parse_fragment
from portal.importing.formats.edition import (
    FULL_TEXT_HINT,
    MAX_PAGE_BYTES,
    add_post,
    html_text,
    item_too_long,
    too_big,
)
from portal.importing.formats.feed_text import add_text_post
from portal.importing.formats.xml_safety import entity_problem
from portal.importing.formats.xml_source import NotWellFormed, check_well_formed, xml_bytes

_MARKUP_TYPES = ("text/html", "application/xhtml+xml")


def parse_feed(data: bytes, path: Path) -> DocumentOutcome:
    """Parse an RSS or Atom feed: every item that is an edition, each read on its own."""
    try:
        feed = _read(data, path)
    except _Refused as refused:  # refused whole: one line, nothing of it stored
        return DocumentOutcome(path, rejected=[Problem(path, None, str(refused))], one_file=True)
    outcome = DocumentOutcome(path)
    for entry in feed.entries:
        _entry(outcome, entry)
    if feed.entries and not any(_content(e) or _text_content(e) for e in feed.entries):
        outcome.skipped.append(f"{path}: the feed carries summaries only ({FULL_TEXT_HINT})")
    return outcome


class _Refused(Exception):
    """The whole file is refused; the message says why."""


def _read(data: bytes, path: Path) -> Any:
    """Return the parsed feed, or raise _Refused: too big, entities, not well-formed, no feed."""
    problem = too_big(path, len(data), MAX_PAGE_BYTES)
    if problem:
        raise _Refused(problem.message)
    try:
        xml = xml_bytes(data)
        reason = entity_problem(xml)
        if reason:
            raise _Refused(reason)
        check_well_formed(xml)
    except NotWellFormed as error:
        raise _Refused(str(error)) from None
    # Not sanitised by feedparser: the importer keeps text only and reports what it drops.
    # A stream, never a string: feedparser would fetch a string that looks like a URL.
    feed = feedparser.parse(io.BytesIO(xml), sanitize_html=False, resolve_relative_uris=False)
    if not feed.entries and not feed.get("version"):
        raise _Refused("not an RSS or Atom feed (well-formed XML of another kind)")
    return feed


def _entry(outcome: DocumentOutcome, entry: Any) -> None:
    title = text_construct(entry.get("title_detail"))
    markup, text = _content(entry), _text_content(entry)
    if item_too_long(outcome, title, markup or text):
        return
    origin = Origin(guid=entry.get("id") or None, permalink=entry.get("link") or None)
    if text and not markup:
        add_text_post(outcome, title, _published(entry), origin, text)
    else:
        add_post(outcome, title, _published(entry), origin, _fragment(markup))


def text_construct(detail: Any) -> str:
    """Return the text of an RSS/Atom text construct, decoded once as its type says."""
    if not detail:
        return ""
    value = str(detail.get("value", ""))
    return html_text(value) if detail.get("type") in _MARKUP_TYPES else value


def _content(entry: Any) -> str:
    """Return the item's full text as HTML (content:encoded, Atom content); '' for none."""
    return _content_of(entry, _MARKUP_TYPES)


def _text_content(entry: Any) -> str:
    """Return the item's full text when it is plain text (Atom `type="text"`); '' for none."""
    return _content_of(entry, ("text/plain",))


def _content_of(entry: Any, types: tuple[str, ...]) -> str:
    for content in entry.get("content", []):
        value = str(content.get("value", ""))
        if content.get("type") in types and value.strip():
            return value
    return ""


def _fragment(markup: str) -> _Element | None:
    return parse_fragment(markup) if markup.strip() else None


def _published(entry: Any) -> dt.date | None:
    """Return the UTC day of pubDate or Atom published (never updated)."""
    parsed: time.struct_time | None = entry.get("published_parsed")
    if parsed is None:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC).date()
