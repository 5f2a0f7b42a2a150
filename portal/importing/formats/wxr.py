"""WordPress exports (WXR 1.1 and 1.2, Tools > Export), streamed item by item.

Only published posts are editions: pages, attachments, menu items, drafts, private,
password-protected and trashed posts are passed over. Content is stored as WordPress
keeps it (paragraphs split by blank lines, block-editor comments, shortcodes): blocks.py
reads the paragraphs, `expand_shortcodes` handles shortcodes before the HTML parser.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import BinaryIO

from lxml import etree
from lxml.etree import _Element

from portal.editions.records import DocumentOutcome, Origin, Problem
from portal.importing.formats.blocks import parse_fragment
from portal.importing.formats.edition import (
    MAX_FILE_BYTES,
    add_post,
    html_text,
    item_too_long,
    too_big,
    utc_date,
)
from portal.importing.formats.xml_safety import entity_problem
from portal.importing.formats.xml_source import NotWellFormed, first_fatal, xml_stream

# WordPress's own importer accepts either scheme; the theme unit test export uses https.
WXR_NAMESPACE = re.compile(rb"xmlns:wp\s*=\s*[\"']https?://wordpress\.org/export/1\.[0-9]+/?[\"']")
# Block-editor blocks whose content the importer reads; others are reported.
KNOWN_BLOCKS = {
    "paragraph", "heading", "image", "separator", "quote", "list", "list-item", "group",
    "spacer", "columns", "column", "more", "freeform", "pullquote", "preformatted", "verse",
}  # fmt: skip
_BLOCK_COMMENT = re.compile(r"<!--\s+wp:([a-z0-9/_-]+)")
# Shortcodes WordPress ships; anything else that looks like one is reported and dropped.
MEDIA_SHORTCODES = {"gallery", "embed", "video", "audio", "playlist"}
_SHORTCODE = re.compile(
    r"\[(/?)([a-z][a-z0-9_-]*)((?:\s+[a-z0-9_-]+(?:=(?:\"[^\"]*\"|'[^']*'|[^\s\]]+))?)*)\s*/?\]"
)
_CAPTION = re.compile(r"\[(wp_caption|caption)\b[^\]]*\](.*?)\[/\1\]", re.DOTALL)
_PAIRED_MEDIA = re.compile(r"\[(embed|video|audio|playlist)\b[^\]]*\].*?\[/\1\]", re.DOTALL)
# WordPress turns a URL alone on its line into an embed (oEmbed) when it shows the post.
_AUTO_EMBED = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.MULTILINE)


def looks_like_wxr(head: bytes) -> bool:
    """Return whether a file's first bytes look like a WordPress export."""
    return bool(WXR_NAMESPACE.search(head))


def parse_wxr(source: bytes | BinaryIO, path: Path) -> DocumentOutcome:
    """Parse a WordPress export: every published post that is an edition, item by item.

    A file that is not well-formed is refused whole: nothing read before the break is kept.
    """
    outcome = DocumentOutcome(path)
    try:
        stream = _prepared(source, path)
        passed_over = _read_items(stream, outcome)
    except (_Refused, NotWellFormed) as error:
        return DocumentOutcome(path, rejected=[Problem(path, None, str(error))], one_file=True)
    if passed_over:
        outcome.skipped.append(
            f"{path}: passed over {passed_over} item(s) that are not published posts "
            "(pages, attachments, menu items, drafts, private, protected or trashed posts)"
        )
    return outcome


class _Refused(Exception):
    """The whole export is refused; the message says why."""


def _prepared(source: bytes | BinaryIO, path: Path) -> BinaryIO:
    """Return the export as a stream lxml reads, or raise _Refused (too big, entities)."""
    if isinstance(source, bytes) and (problem := too_big(path, len(source), MAX_FILE_BYTES)):
        raise _Refused(problem.message)
    stream = xml_stream(io.BytesIO(source) if isinstance(source, bytes) else source)
    start = stream.tell()
    reason = entity_problem(stream.read(64 * 1024))
    if reason:
        raise _Refused(reason)
    stream.seek(start)
    return stream


def _read_items(stream: BinaryIO, outcome: DocumentOutcome) -> int:
    """Read every item into the outcome; return how many were passed over (not posts)."""
    items = etree.iterparse(
        stream,
        events=("end",),
        tag="item",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=False,
        recover=True,  # namespace errors are not fatal; first_fatal finds what is
    )
    read = passed_over = errors = 0
    try:
        for _event, item in items:
            if len(items.error_log) > errors:  # stop at a break, not after reading past it
                errors = len(items.error_log)
                first_fatal(items.error_log)
            read += sum(len(t or "") for t in item.itertext())
            if read > MAX_FILE_BYTES:
                raise _Refused(f"too large (over {MAX_FILE_BYTES:,} characters of text)")
            passed_over += not _item(outcome, item)
            # Streaming: drop what was read, so a large export is never held whole.
            item.clear()
            while item.getprevious() is not None:
                del item.getparent()[0]
    except etree.XMLSyntaxError as error:  # nothing to recover at all
        raise NotWellFormed(*(error.position or (1, 1))) from None
    first_fatal(items.error_log)
    return passed_over


def _field(item: _Element, name: str) -> str:
    found = item.find(name) if ":" not in name else item.find(_qualified(item, name))
    return (found.text or "").strip() if found is not None else ""


def _qualified(item: _Element, name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{item.nsmap.get(prefix, '')}}}{local}"


def _item(outcome: DocumentOutcome, item: _Element) -> bool:
    """Read one item if it is a published post, and say whether it was one."""
    if _field(item, "wp:post_type") != "post" or _field(item, "wp:status") != "publish":
        return False
    if _field(item, "wp:post_password"):
        return False
    # WordPress keeps a title as HTML (an ampersand may be stored as &amp;): decoded once here.
    title = html_text(_field(item, "title"))
    raw = _field(item, "content:encoded")
    if item_too_long(outcome, title, raw):
        return True
    origin = Origin(guid=_field(item, "guid") or None, permalink=_field(item, "link") or None)
    markup, notes = expand_shortcodes(raw)
    notes += unknown_blocks(raw)
    content = parse_fragment(markup) if raw else None
    add_post(outcome, title, _date(item), origin, content, notes, no_content="the post is empty")
    return True


def _date(item: _Element) -> dt.date | None:
    """Return the UTC day the post was published (post_date_gmt; never the modified date)."""
    for name, zone in (("wp:post_date_gmt", dt.UTC), ("wp:post_date", None)):
        value = _field(item, name)
        if value and not value.startswith("0000"):
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                continue
            return utc_date(moment.replace(tzinfo=zone) if zone else moment)
    return None


def expand_shortcodes(content: str) -> tuple[str, list[str]]:
    """Return content with [caption] made a <figure> and other shortcodes dropped (and named)."""
    notes: list[str] = []
    content = _CAPTION.sub(lambda m: f"<figure class='wp-caption'>{m.group(2)}</figure>", content)
    for match in _PAIRED_MEDIA.finditer(content):
        notes.append(f"dropped the shortcode [{match.group(1)}]")
    content = _PAIRED_MEDIA.sub("", content)
    content = _AUTO_EMBED.sub("<iframe></iframe>", content)
    closed = {name for _slash, name, _attrs in _SHORTCODE.findall(content) if _slash}

    def drop(match: re.Match[str]) -> str:
        slash, name, attrs = match.groups()
        is_shortcode = name in MEDIA_SHORTCODES or name in closed or "=" in attrs
        if not is_shortcode:
            return match.group(0)
        if not slash:
            notes.append(f"dropped the shortcode [{name}]")
        return ""

    return _SHORTCODE.sub(drop, content), notes


def unknown_blocks(content: str) -> list[str]:
    """Return a note for each block-editor block type the importer does not know."""
    names = {name.removeprefix("core/") for name in _BLOCK_COMMENT.findall(content)}
    return [
        f"dropped the markup of the unknown block wp:{name}"
        for name in sorted(names - KNOWN_BLOCKS)
    ]
