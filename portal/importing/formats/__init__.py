"""The forms an edition comes in, told apart by content and parsed: pure, bytes in, records out.

`parse_document` is the one dispatcher; `detect_form` judges a document by its first bytes,
never by its file name:

- `wxr`: a WordPress export (WXR 1.0-1.2, `http://` or `https://` namespace), streamed: `wxr.py`;
- `feed`: an RSS 2.0 or Atom feed (or other XML, refused there): `feeds.py`;
- `page`: a saved web page or AMP page from a classic or block theme: `wordpress_page.py`;
- `markdown`: an edition in the archive's format (front matter between `---` lines);
- `plaintext`: an edition page copied as text (its links have no addresses).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import BinaryIO, Literal

from portal.editions.markdown import is_markdown, parse_markdown
from portal.editions.records import DocumentOutcome, EditionFileError, ParsedEdition, Problem
from portal.importing.formats.plaintext import parse_plaintext
from portal.importing.formats.rss_atom import parse_feed
from portal.importing.formats.wordpress_page import looks_like_page, parse_page
from portal.importing.formats.wxr import looks_like_wxr, parse_wxr
from portal.importing.formats.xml_source import markup_head

Form = Literal["wxr", "feed", "page", "markdown", "plaintext"]
HEAD_BYTES = 8192
_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]")

__all__ = ["HEAD_BYTES", "Form", "decode_text", "detect_form", "parse_document", "parse_edition"]


def detect_form(head: bytes) -> Form:
    """Return the form of a document judged by its first HEAD_BYTES bytes, in any encoding."""
    markup = markup_head(head[:HEAD_BYTES])
    if looks_like_wxr(markup):
        return "wxr"
    if _FEED_ROOT.search(markup) and not markup.lower().startswith((b"<!doctype html", b"<html")):
        return "feed"
    if looks_like_page(markup):
        return "page"
    if markup.startswith((b"<?xml", b"<!--")):
        return "feed"  # XML of no known form: the feed reader says what is wrong with it
    start = head[:HEAD_BYTES].removeprefix(b"\xef\xbb\xbf")
    return "markdown" if is_markdown(start.decode("latin-1")) else "plaintext"


def parse_document(
    source: bytes | BinaryIO, path: Path, date: dt.date | None = None
) -> DocumentOutcome:
    """Parse one document in whichever form it is in; `date` dates undated plain text."""
    form = detect_form(source[:HEAD_BYTES] if isinstance(source, bytes) else _peek(source))
    if form == "wxr":  # streamed: an export of the whole back catalogue is never held whole
        return parse_wxr(source, path)
    data = source if isinstance(source, bytes) else source.read()
    if form == "feed":
        return parse_feed(data, path)
    if form == "page":
        return parse_page(data, path)
    try:
        return DocumentOutcome(path, editions=[parse_edition(decode_text(data, path), path, date)])
    except EditionFileError as error:
        return DocumentOutcome(path, rejected=error.problems, one_file=True)


def parse_edition(text: str, path: Path, date: dt.date | None = None) -> ParsedEdition:
    """Parse an edition written as Markdown or plain text (told apart by a leading '---')."""
    if is_markdown(text):
        return parse_markdown(text, path)
    return parse_plaintext(text, path, date)


def decode_text(raw: bytes, path: Path) -> str:
    """Return an edition file's text: UTF-8, BOM dropped, every line ending made '\\n'."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise EditionFileError([Problem(path, line, "not UTF-8 text")]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _peek(stream: BinaryIO) -> bytes:
    """Return a seekable stream's first bytes, leaving it where it was."""
    start = stream.tell()
    head = stream.read(HEAD_BYTES)
    stream.seek(start)
    return head
