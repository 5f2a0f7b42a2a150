"""Tell the published forms apart by content and parse them: the entry point for importers.

`parse_published(data, path)` is what `flask editions import` and `flask editions sync`
call for one page, feed or export; it returns None for text that is none of them
(Markdown and plain-text editions are read by their own parsers).
"""

from __future__ import annotations

import re
from pathlib import Path

from portal.importing.formats.feeds import parse_feed
from portal.importing.formats.wordpress_page import looks_like_page, parse_page
from portal.importing.formats.wxr import looks_like_wxr, parse_wxr
from portal.importing.records import DocumentOutcome

PUBLISHED_SUFFIXES = (".html", ".htm", ".xml", ".rss", ".atom")
_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]")


def detect_form(data: bytes) -> str | None:
    """Return 'wxr', 'feed' or 'page' for a published form, judged by its first bytes."""
    head = data[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    if looks_like_wxr(head):
        return "wxr"
    if _FEED_ROOT.search(head) and not head.lower().startswith((b"<!doctype html", b"<html")):
        return "feed"
    if looks_like_page(head):
        return "page"
    return None


def parse_published(data: bytes, path: Path) -> DocumentOutcome | None:
    """Parse a WordPress page, AMP page, RSS/Atom feed or WXR export; None if it is none."""
    form = detect_form(data)
    if form == "wxr":
        return parse_wxr(data, path)
    if form == "feed":
        return parse_feed(data, path)
    if form == "page":
        return parse_page(data, path)
    return None
