"""Flatten a post's HTML into blocks: headings, paragraphs (with inline links), rules, media.

Works alike on rendered HTML (`<p>` everywhere) and on WordPress's stored content, where
paragraphs are text separated by blank lines (WordPress's `wpautop` adds the `<p>` on
display): text directly inside a container is split at blank lines into paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import html
from lxml.etree import _Element

from portal.editions import paragraphs

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
INLINE = {
    "a", "abbr", "b", "bdi", "br", "cite", "code", "del", "em", "i", "ins", "kbd", "mark",
    "q", "s", "small", "span", "strong", "sub", "sup", "time", "u", "font", "wbr",
}  # fmt: skip
MEDIA = {
    "img", "amp-img", "picture", "svg", "iframe", "amp-iframe", "amp-youtube", "embed",
    "object", "video", "amp-video", "audio", "amp-audio", "canvas", "table",
}  # fmt: skip
# Markup that is never content: its text must not reach a page, and is reported.
NEVER = {"script", "style", "noscript", "template", "form", "input", "button", "select", "textarea"}
# Page furniture some themes put inside the post content (Jetpack sharing, related posts).
FURNITURE = re.compile(r"sharedaddy|sd-sharing|jp-relatedposts|share-buttons|author-box|comments")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\xa0]*\n")


@dataclass
class Block:
    """One block of a post: 'heading', 'para', 'rule' or 'media'."""

    kind: str
    text: str = ""  # headings and paragraphs: stored form with inline links
    plain: str = ""  # what a reader sees, white space folded
    anchors: list[tuple[str, str]] = field(default_factory=list)  # (text, href) as written
    dropped: list[str] = field(default_factory=list)  # what the block lost: "an image (img)"


class _Paragraph:
    """Collects the runs of one paragraph as the walk meets text and inline elements."""

    def __init__(self) -> None:
        self.runs: list[paragraphs.Run] = []
        self.anchors: list[tuple[str, str]] = []
        self.dropped: list[str] = []

    def text(self, text: str) -> None:
        if text:
            self.runs.append(paragraphs.Run(text))

    def block(self) -> Block | None:
        runs = fold_runs(self.runs)
        plain = "".join(run.text for run in runs)
        if not plain:
            if self.dropped:
                return Block("media", dropped=self.dropped)
            return None
        return Block("para", paragraphs.write_runs(runs), plain, self.anchors, self.dropped)


def fold(text: str) -> str:
    """Return text with every run of white space (non-breaking included) made one space."""
    return " ".join(text.split())


def fold_runs(runs: list[paragraphs.Run]) -> list[paragraphs.Run]:
    """Fold white space across runs, dropping empty ones and spaces at either end."""
    out: list[paragraphs.Run] = []
    space_before = False
    for run in runs:
        words = run.text.split()
        lead = bool(run.text[:1].isspace()) or (not words and bool(run.text))
        trail = bool(run.text[-1:].isspace())
        if not words:
            space_before = space_before or lead
            continue
        prefix = " " if (space_before or lead) and out else ""
        if run.url and prefix:
            out.append(paragraphs.Run(" "))
            prefix = ""
        out.append(paragraphs.Run(prefix + " ".join(words), run.url))
        space_before = trail
    return _merge(out)


def _merge(runs: list[paragraphs.Run]) -> list[paragraphs.Run]:
    merged: list[paragraphs.Run] = []
    for run in runs:
        if merged and run.url is None and merged[-1].url is None:
            merged[-1] = paragraphs.Run(merged[-1].text + run.text)
        else:
            merged.append(run)
    return merged


def parse_fragment(markup: str) -> _Element:
    """Return a <div> holding the parsed HTML fragment (lxml.html, never fetching anything)."""
    return html.fragment_fromstring(markup, create_parent="div")


def blocks(root: _Element) -> list[Block]:
    """Return the blocks of a content element, in document order."""
    out: list[Block] = []
    _walk_container(root, out)
    return out


def _walk_container(element: _Element, out: list[Block]) -> None:
    para = _split_text(element.text, _Paragraph(), out)
    for child in element:
        tag = _tag(child)
        if tag is None or tag in INLINE or tag in {"img", "amp-img"}:
            if tag is not None:
                _inline(child, para)
        else:
            _flush(para, out)
            para = _Paragraph()
            _block(child, tag, out)
        para = _split_text(child.tail, para, out)
    _flush(para, out)


def _split_text(text: str | None, para: _Paragraph, out: list[Block]) -> _Paragraph:
    """Add text to the paragraph; a blank line in it (stored content) starts a new one."""
    if not text:
        return para
    pieces = _BLANK_LINE.split(text)
    para.text(pieces[0])
    for piece in pieces[1:]:
        _flush(para, out)
        para = _Paragraph()
        para.text(piece)
    return para


def _flush(para: _Paragraph, out: list[Block]) -> None:
    block = para.block()
    if block is not None:
        out.append(block)


def _block(element: _Element, tag: str, out: list[Block]) -> None:
    if tag in HEADINGS:
        para = _Paragraph()
        _inline(element, para)
        block = para.block()
        out.append(Block("heading", tag, block.plain if block else ""))
    elif tag == "hr":
        out.append(Block("rule"))
    elif tag in NEVER or tag in MEDIA:
        out.append(Block("media", dropped=[describe(tag)]))
    elif FURNITURE.search(str(element.get("class", ""))):
        return
    elif tag == "figure" and not element.xpath(".//p|.//blockquote"):
        out.append(Block("media", dropped=[describe(_media_tag(element))]))
    else:
        _walk_container(element, out)


def _media_tag(element: _Element) -> str:
    for node in element.iter():
        tag = _tag(node)
        if tag in MEDIA:
            return tag
    return "figure"


def _inline(element: _Element, para: _Paragraph) -> None:
    tag = _tag(element)
    if tag in NEVER or tag in MEDIA:
        para.dropped.append(describe(tag or "?"))
        return
    if tag == "br":
        para.text(" ")
    elif tag == "a" and element.get("href") is not None:
        _anchor(element, para)
        return
    elif tag is not None and tag not in INLINE:
        para.text(" ")
    para.text(element.text or "")
    for child in element:
        if _tag(child) is not None:
            _inline(child, para)
        para.text(child.tail or "")


def _anchor(element: _Element, para: _Paragraph) -> None:
    href = str(element.get("href", "")).strip()
    inner = _Paragraph()
    inner.text(element.text or "")
    for child in element:
        if _tag(child) is not None:
            _inline(child, inner)
        inner.text(child.tail or "")
    text = "".join(run.text for run in inner.runs)
    para.dropped.extend(inner.dropped)
    para.anchors.append((fold(text), href))
    if paragraphs.is_allowed_url(href):
        para.runs.append(paragraphs.Run(text, href))
    else:
        para.text(text)
        if text.strip():
            para.dropped.append(f"the link address {href[:60]!r} (only http, https, mailto kept)")


def _tag(node: _Element) -> str | None:
    """Return an element's lower-case tag, or None for comments and processing instructions."""
    tag = node.tag
    return tag.lower() if isinstance(tag, str) else None


def describe(tag: str) -> str:
    """Return how a warning names dropped markup."""
    names = {"img": "an image", "amp-img": "an image", "picture": "an image", "table": "a table"}
    if tag in NEVER:
        return f"markup <{tag}>"
    return f"{names.get(tag, 'an embed')} (<{tag}>)"
