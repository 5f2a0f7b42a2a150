"""RSS 2.0 (`content:encoded`) and Atom (`content type="html"`) feeds, read with feedparser."""

from __future__ import annotations

import calendar
import datetime as dt
import io
import time
from pathlib import Path
from typing import Any

import feedparser

from portal.editions.records import DocumentOutcome, Origin, Problem
from portal.importing.formats.blocks import parse_fragment
from portal.importing.formats.edition import MAX_PAGE_BYTES, add_post, item_too_long, too_big
from portal.importing.formats.xml_safety import entity_problem


def parse_feed(data: bytes, path: Path) -> DocumentOutcome:
    """Parse an RSS or Atom feed: every item that is an edition, each read on its own."""
    outcome = DocumentOutcome(path)
    refused = too_big(path, len(data), MAX_PAGE_BYTES) or _refused(data, path)
    if refused:
        outcome.rejected.append(refused)
        return outcome
    # Not sanitised by feedparser: the importer keeps text only and reports what it drops.
    # A stream, never a string: feedparser would fetch a string that looks like a URL.
    feed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    if feed.bozo and not feed.entries:
        reason = getattr(feed, "bozo_exception", "unreadable")
        outcome.rejected.append(Problem(path, None, f"not a readable RSS or Atom feed ({reason})"))
        return outcome
    for entry in feed.entries:
        _entry(outcome, entry)
    return outcome


def _refused(data: bytes, path: Path) -> Problem | None:
    reason = entity_problem(data)
    return Problem(path, None, reason) if reason else None


def _entry(outcome: DocumentOutcome, entry: Any) -> None:
    title = str(entry.get("title", ""))
    html_text = _content(entry)
    if item_too_long(outcome, title, html_text):
        return
    origin = Origin(guid=entry.get("id") or None, permalink=entry.get("link") or None)
    content = parse_fragment(html_text) if html_text.strip() else None
    add_post(outcome, title, _published(entry), origin, content)


def _content(entry: Any) -> str:
    """Return the item's full HTML (content:encoded or Atom content); '' for an excerpt only."""
    for content in entry.get("content", []):
        if "html" in str(content.get("type", "")):
            return str(content.get("value", ""))
    return ""


def _published(entry: Any) -> dt.date | None:
    """Return the UTC day of pubDate or Atom published (never updated)."""
    parsed: time.struct_time | None = entry.get("published_parsed")
    if parsed is None:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC).date()
