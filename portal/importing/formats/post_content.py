"""The edition inside a post's HTML: highlights, intro, curated links and recent posts.

Built on the anatomy (see README "Importing from WordPress"), not on one theme's markup:
section headings are found by their words at any level, a link is a heading followed by
its blurb paragraphs, a paragraph that is the link's anchor, and a `[Author / Source]`
line. Boilerplate (tagline, the two share lines, sign-off, signature, the "can we help
you?" box, the closing line) is dropped silently; anything else dropped becomes a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml.etree import _Element

from portal.editions.paragraphs import is_allowed_url
from portal.editions.records import LinkRecord
from portal.importing.formats.blocks import Block, blocks

CURATED_HEADING = re.compile(r"^what to think about this week\W*$", re.IGNORECASE)
RECENT_HEADING = re.compile(r"^recent posts\W*$", re.IGNORECASE)
END_HEADING = re.compile(r"^can we help you\W*$", re.IGNORECASE)
TAGLINE = re.compile(r"^PRODUCTHEAD is a (regular )?newsletter", re.IGNORECASE)
SHARE_LINES = re.compile(r"^a favour\b|every PRODUCTHEAD edition is online", re.IGNORECASE)
SIGN_OFF = re.compile(r"^speak to you soon\W*$", re.IGNORECASE)
SOURCE_LINE = re.compile(r"^\[\s*(.+?)\s*\]$", re.DOTALL)
SOURCE_TAIL = re.compile(r"^(\S.*?)\s*\[\s*([^\[\]]+?)\s*\]$", re.DOTALL)
TITLE_PREFIX = re.compile(r"^\s*PRODUCTHEAD\s*[:\u2013\u2014-]\s*", re.IGNORECASE)


class NotAnEdition(Exception):
    """A post without the curated-links section: an ordinary article."""


class BadEdition(Exception):
    """A post that looks like an edition but cannot be read as one; the message says why."""


@dataclass
class PostContent:
    """What an edition's post content holds, and what reading it dropped."""

    highlights: tuple[str, ...]
    intro: tuple[str, ...]
    curated: tuple[LinkRecord, ...]
    recent_posts: tuple[LinkRecord, ...]
    warnings: list[str] = field(default_factory=list)


def edition_title(title: str) -> str:
    """Return a post title without the `PRODUCTHEAD: ` prefix, white space folded."""
    return " ".join(TITLE_PREFIX.sub("", title).split())


def parse_post_content(root: _Element) -> PostContent:
    """Read the edition out of a post's content element, or raise NotAnEdition/BadEdition."""
    found = blocks(root)
    start = next(
        (n for n, b in enumerate(found) if b.kind == "heading" and CURATED_HEADING.match(b.plain)),
        None,
    )
    if start is None:
        raise NotAnEdition
    warnings: list[str] = []
    highlights, intro = _front(found[:start], warnings)
    curated, recent = _sections(found[start + 1 :], warnings)
    if not curated:
        raise BadEdition("the 'what to think about this week' section has no links")
    return PostContent(highlights, intro, curated, recent, warnings)


def _front(front: list[Block], warnings: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split what comes before the links into highlights and intro paragraphs."""
    groups: list[list[Block]] = [[]]
    shares = 0
    for block in front:
        if block.kind == "para" and TAGLINE.match(block.plain):
            groups = [[]]
        elif block.kind == "para" and SHARE_LINES.search(block.plain):
            shares += 1
            groups.append([])
        elif block.kind == "para" and SIGN_OFF.match(block.plain):
            break
        elif block.kind == "rule" and not shares:
            groups.append([])
        elif block.kind == "para":
            groups[-1].append(block)
        elif block.kind == "media":
            _media_warning(block, "the intro", warnings, quiet_images=True)
    groups = [g for g in groups if g]
    if len(groups) < 2:
        return (), _texts(groups[0] if groups else [], "the intro", warnings)
    highlights = tuple(b.plain for b in groups[0])
    _texts(groups[0], "the highlights", warnings)
    intro = _texts([b for g in groups[1:] for b in g], "the intro", warnings)
    return highlights, intro


def _texts(paras: list[Block], where: str, warnings: list[str]) -> tuple[str, ...]:
    for block in paras:
        warnings.extend(f"{where}: dropped {what}" for what in block.dropped)
    return tuple(block.text for block in paras)


def _media_warning(block: Block, where: str, warnings: list[str], *, quiet_images: bool) -> None:
    for what in block.dropped:
        # The logo and the signature are images around the intro: boilerplate.
        if not (quiet_images and what.startswith("an image")):
            warnings.append(f"{where}: dropped {what}")


def _sections(
    rest: list[Block], warnings: list[str]
) -> tuple[tuple[LinkRecord, ...], tuple[LinkRecord, ...]]:
    """Return the curated links and the recent posts from the blocks after the section heading."""
    sections: dict[str, list[tuple[str, list[Block]]]] = {"curated": [], "recent": []}
    current = "curated"
    for block in rest:
        if block.kind == "heading" and END_HEADING.match(block.plain):
            break
        if block.kind == "heading" and RECENT_HEADING.match(block.plain):
            current = "recent"
        elif block.kind == "heading":
            sections[current].append((block.plain, []))
        elif sections[current]:
            sections[current][-1][1].append(block)
        elif block.kind != "rule":
            warnings.extend(f"before the first link: dropped {w}" for w in _lost(block))
    curated = tuple(_link(n, h, b, warnings) for n, (h, b) in enumerate(sections["curated"], 1))
    recent = tuple(_link(n, h, b, warnings) for n, (h, b) in enumerate(sections["recent"], 1))
    return curated, recent


def _lost(block: Block) -> list[str]:
    if block.kind == "para":
        return [f"the text {block.plain[:60]!r}"]
    return block.dropped


def _link(number: int, headline: str, body: list[Block], warnings: list[str]) -> LinkRecord:
    """Read one link: blurb paragraphs, the anchor paragraph, the source line."""
    where = f"link {number} {headline!r}"
    paras = [b for b in body if b.kind == "para"]
    source_at, anchor_at = _link_places(paras, where)
    link_para = paras[anchor_at]
    url = _url(link_para, where, warnings)
    for block in body:
        if block.kind == "media":
            _media_warning(block, where, warnings, quiet_images=False)
    for block in paras[source_at + 1 :]:
        if not TAGLINE.match(block.plain):
            warnings.append(f"{where}: dropped the text {block.plain[:60]!r} after the source line")
    blurb = _texts(paras[:anchor_at], where, warnings)
    link_text, source_line = link_para.plain, paras[source_at].plain
    if source_at == anchor_at:
        # The link and its source share a paragraph: "Link text<br>[Author / Source]".
        tail = SOURCE_TAIL.match(link_para.plain)
        link_text, source_line = (tail.group(1), f"[{tail.group(2)}]") if tail else ("", "")
    author, source = _source(source_line)
    return LinkRecord(headline, blurb, link_text, source, author, url)


def _link_places(paras: list[Block], where: str) -> tuple[int, int]:
    """Return the positions of the source line and of the anchor paragraph."""
    source_at = next(
        (n for n in range(len(paras) - 1, -1, -1) if SOURCE_LINE.match(paras[n].plain)), None
    )
    if source_at is None:
        shared = next(
            (n for n in range(len(paras) - 1, -1, -1)
             if paras[n].anchors and SOURCE_TAIL.match(paras[n].plain)),
            None,
        )  # fmt: skip
        if shared is None:
            raise BadEdition(f"{where} has no '[Author / Publication]' line")
        return shared, shared
    anchor_at = next((n for n in range(source_at - 1, -1, -1) if paras[n].anchors), None)
    if anchor_at is None:
        raise BadEdition(f"{where} has no paragraph with the link before its source line")
    return source_at, anchor_at


def _url(para: Block, where: str, warnings: list[str]) -> str | None:
    urls = [href for _text, href in para.anchors if is_allowed_url(href)]
    warnings.extend(f"{where}: dropped {what}" for what in para.dropped)
    if len(set(urls)) > 1:
        warnings.append(f"{where}: kept the first of {len(set(urls))} addresses, dropped the rest")
    return urls[0] if urls else None


def _source(line: str) -> tuple[str | None, str]:
    inner = SOURCE_LINE.match(line)
    text = inner.group(1) if inner else line
    author, slash, source = text.rpartition(" / ")
    return (author.strip() or None, source.strip()) if slash else (None, text.strip())
