"""XML as the wild writes it: any encoding XML allows, a byte order mark, blank lines first.

XML 1.0 Appendix F tells a document's encoding family from its first bytes: a byte order
mark, or, without one, where the zero bytes of the first character `<` fall. UTF-16 and
UTF-32 documents are transcoded to UTF-8 here (their encoding declaration dropped), so both
lxml and feedparser read the same bytes. Whitespace before `<?xml` (WordPress's blank-line
bug: a plugin or theme that echoes a newline before the export) is skipped, as WordPress's
own importer does. Well-formedness is judged by lxml, hardened: no entities resolved, no
DTD loaded, no network, no huge trees; feedparser is tolerant and would recover half a file.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import Any, BinaryIO

from lxml import etree

# Longest marks first: UTF-32-LE's mark begins with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, None),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_SPACE = b" \t\r\n"
_ENCODING_DECLARATION = re.compile(rb"""^(<\?xml[^>]*?)\s+encoding\s*=\s*(["'])[^"']*\2""")
# How far into a stream blank lines before `<?xml` are looked for.
_SPACE_SCAN = 64 * 1024


class NotWellFormed(Exception):
    """An XML document that is not well-formed, with where it breaks (1-based)."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(f"not well-formed XML at line {line}, column {column}")
        self.line = line
        self.column = column


def wide_encoding(head: bytes) -> tuple[str | None, int]:
    """Return a document's UTF-16/32 codec (None for 8-bit encodings) and its BOM's length."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    first = head[:4].ljust(4, b"\x01")
    if first[:3] == b"\0\0\0" and first[3]:
        return "utf-32-be", 0
    if first[0] and first[1:] == b"\0\0\0":
        return "utf-32-le", 0
    if not first[0] and first[1] and not first[2]:
        return "utf-16-be", 0
    if first[0] and not first[1] and first[2] and not first[3]:
        return "utf-16-le", 0
    return None, 0


def markup_head(head: bytes) -> bytes:
    """Return a document's first bytes as 8-bit text from its first non-blank character on."""
    codec, bom = wide_encoding(head)
    if codec is not None:
        width = 4 if "32" in codec else 2
        usable = head[bom:][: (len(head) - bom) // width * width]
        head = usable.decode(codec, errors="replace").encode("utf-8")
        bom = 0
    return head[bom:].lstrip(_XML_SPACE)


def xml_bytes(data: bytes) -> bytes:
    """Return a whole document as bytes lxml and feedparser read alike, or raise NotWellFormed."""
    codec, bom = wide_encoding(data[:4])
    if codec is None:
        return _declaration_first(data[bom:])
    return _transcoded(data[bom:], codec)


def xml_stream(stream: BinaryIO) -> BinaryIO:
    """Return a stream for lxml: wide encodings transcoded, a BOM or blanks before <?xml moved."""
    start = stream.tell()
    head = stream.read(_SPACE_SCAN)
    codec, bom = wide_encoding(head)
    if codec is not None:
        return io.BytesIO(_transcoded(head[bom:] + stream.read(), codec))
    if head[bom : bom + 1] in _XML_SPACE:  # rare: read whole, as bytes given whole are
        return io.BytesIO(_declaration_first(head[bom:] + stream.read()))
    stream.seek(start + bom)
    return stream


def _declaration_first(body: bytes) -> bytes:
    """Return body with blanks before `<?xml` moved after it, so line numbers stay as written."""
    markup = body.lstrip(_XML_SPACE)
    end = markup.find(b"?>")
    if len(markup) == len(body) or not markup.startswith(b"<?xml") or end < 0:
        return body
    return markup[: end + 2] + body[: len(body) - len(markup)] + markup[end + 2 :]


def _transcoded(data: bytes, codec: str) -> bytes:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        before = data[: error.start].decode(codec, errors="replace")
        line = before.count("\n") + 1
        raise NotWellFormed(line, len(before) - before.rfind("\n")) from None
    markup = _declaration_first(text.encode("utf-8"))
    return _ENCODING_DECLARATION.sub(rb"\1", markup, count=1)


def hardened_parser() -> etree.XMLParser:
    """Return an lxml parser that resolves no entities, loads no DTD and never uses the network.

    It recovers, so a namespace error (an undeclared prefix, as in WordPress feeds that use
    `slash:comments` without declaring it) is not fatal; `first_fatal` finds what is.
    """
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )


def check_well_formed(data: bytes) -> None:
    """Raise NotWellFormed, with where, unless the document (from xml_bytes) is well-formed."""
    parser = hardened_parser()
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:  # nothing recovered at all (an empty document)
        raise NotWellFormed(*(error.position or (1, 1))) from None
    first_fatal(parser.error_log)


def first_fatal(log: Any) -> None:
    """Raise NotWellFormed for the first fatal error (XML 1.0 well-formedness) in an error log."""
    fatal = log.filter_from_fatals()
    if fatal:
        raise NotWellFormed(fatal[0].line or 1, fatal[0].column or 1)
