"""A saved WordPress post page (classic or block theme) or its AMP version."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from lxml import html
from lxml.etree import ParserError, _Element

from portal.editions.records import DocumentOutcome, Origin, Problem
from portal.importing.formats.edition import MAX_PAGE_BYTES, add_post, too_big, utc_date

# Where themes put the post content, most specific first (classic, block themes, AMP).
CONTENT_XPATHS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' amp-wp-article-content ')]",
    "//article//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' wp-block-post-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' post-content ')]",
    "//*[@itemprop='articleBody']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' post-body ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]",
    "//article",
)
_SHORTLINK_ID = re.compile(r"[?&]p=(\d+)")
# Themes mark up comments with hAtom too: a comment's heading may be an `entry-title`.
_NOT_COMMENT = "[not(ancestor-or-self::*[contains(@class, 'comment') or contains(@id, 'comment')])]"
NO_CONTENT = "no post content found in the page (no entry-content, article or post body)"


def looks_like_page(head: bytes) -> bool:
    """Return whether a file's first bytes look like an HTML page."""
    text = head.lstrip().lower()
    return text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:2048]


def parse_page(data: bytes, path: Path) -> DocumentOutcome:
    """Parse a saved WordPress page (bytes as saved) into a DocumentOutcome of one post."""
    outcome = DocumentOutcome(path)
    problem = too_big(path, len(data), MAX_PAGE_BYTES)
    if problem:
        outcome.rejected.append(problem)
        return outcome
    try:
        document = html.document_fromstring(data)
    except (ParserError, ValueError) as error:
        outcome.rejected.append(Problem(path, None, f"not an HTML page ({error})"))
        return outcome
    content = next((found[0] for x in CONTENT_XPATHS if (found := document.xpath(x))), None)
    moment = utc_date(_published(document))
    add_post(outcome, _title(document), moment, _origin(document), content, no_content=NO_CONTENT)
    return outcome


def _meta(document: _Element, xpath: str) -> str | None:
    values = [str(v).strip() for v in document.xpath(xpath) if str(v).strip()]
    return values[0] if values else None


def _title(document: _Element) -> str:
    for xpath in (
        f"//*[contains(@class, 'entry-title') or contains(@class, 'amp-wp-title')]{_NOT_COMMENT}",
        f"//*[contains(@class, 'wp-block-post-title')]{_NOT_COMMENT}",
    ):
        found = document.xpath(xpath)
        if found:
            return str(found[0].text_content())
    return _meta(document, "//meta[@property='og:title']/@content") or str(
        document.findtext(".//title") or ""
    )


def _published(document: _Element) -> dt.datetime | None:
    """Return when the post was published: meta, then <time>, then JSON-LD; never 'modified'."""
    candidates = [
        _meta(document, "//meta[@property='article:published_time']/@content"),
        _meta(document, "//time[contains(@class, 'published')]/@datetime"),
        _meta(document, "//time[not(contains(@class, 'updated'))]/@datetime"),
        _json_ld_published(document),
    ]
    for value in candidates:
        moment = _iso(value)
        if moment is not None:
            return moment
    return None


def _iso(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _json_ld_published(document: _Element) -> str | None:
    for script in document.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        nodes = data.get("@graph", [data]) if isinstance(data, dict) else data
        for node in nodes if isinstance(nodes, list) else []:
            if isinstance(node, dict) and isinstance(node.get("datePublished"), str):
                return str(node["datePublished"])
    return None


def _origin(document: _Element) -> Origin:
    permalink = _meta(document, "//link[@rel='canonical']/@href") or _meta(
        document, "//meta[@property='og:url']/@content"
    )
    shortlink = _meta(document, "//link[@rel='shortlink']/@href")
    guid = shortlink if shortlink and _SHORTLINK_ID.search(shortlink) else None
    return Origin(guid=guid, permalink=permalink)
