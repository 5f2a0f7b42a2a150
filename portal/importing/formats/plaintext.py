"""Parse an edition's plain text, copied from its web page (anatomy: shared/seed/README.md)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from portal.editions.records import (
    EditionFileError,
    EditionRecord,
    LinkRecord,
    ParsedEdition,
    Problem,
    slugify,
)

CURATED_HEADING = "what to think about this week"
RECENT_HEADING = "recent posts"
_SOURCE = "source line like [Author / Publication]"
_NO_BOILERPLATE = (
    "no 'a favour: …' or 'every PRODUCTHEAD edition is online …' line to end the highlights"
)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACES = re.compile(r"\s+")
_CLEAN = str.maketrans("\u00a0\u202f\u2007", "   ", "\u200b\u200c\u200d\u2060\ufeff")
_TITLE = re.compile(r"PRODUCTHEAD\s*[:\-\u2013\u2014]\s*(.*)", re.IGNORECASE)
_SIGN_OFFS = {"speak to you soon", "talk to you soon", "until next time", "speak soon", "talk soon"}
_FOOTERS = {"can we help you", "leave a reply", "read more from jock"}
_FOOTER_PREFIX = "product people is a product management services company"
_BOILERPLATE = ("a favour:", "a favor:", "every producthead edition is online")
# A slash with a space (or nothing) on each side, so "[A/B Weekly]" stays one publication.
_SOURCE_SPLIT = re.compile(r"(?:^|\s)/(?:\s|$)")

_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
_DAY_NAMES = "monday tuesday wednesday thursday friday saturday sunday"
_MONTHS = {name[:size]: n for n, name in enumerate(_MONTH_NAMES.split(), 1) for size in (3, None)}
_DAYS = {name[:size]: n for n, name in enumerate(_DAY_NAMES.split()) for size in (3, None)}
_WEEKDAY = r"(?:(?P<weekday>[a-z]+),? )?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_MONTH = r"(?P<month>[a-z]+)\.?"
_YEAR = r",? (?P<year>\d{4})"
_ISO_DATE = r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
_DATE_FORMS = [_ISO_DATE, f"{_WEEKDAY}{_DAY} {_MONTH}{_YEAR}", f"{_WEEKDAY}{_MONTH} {_DAY}{_YEAR}"]
_DATES = tuple(re.compile(form, re.ASCII | re.IGNORECASE) for form in _DATE_FORMS)

# (1-based line of the original text, message), turned into Problems once the path is known.
_Issues = list[tuple[int, str]]
# A section's heading, its blocks, and what follows it (named when a link is cut short).
_Section = tuple["_Block | None", list["_Block"], str]


@dataclass(frozen=True)
class _Block:  # a run of non-blank lines joined by spaces
    line: int  # where it starts in the original text
    text: str


@dataclass
class _Front:
    highlights: list[_Block] = field(default_factory=list)
    intro: list[str] = field(default_factory=list)
    date: dt.date | None = None
    boilerplate: bool = False
    sign_off: _Block | None = None
    stray: _Block | None = None  # the first block between the sign-off and the curated heading


def parse_plaintext(text: str, path: Path, date: dt.date | None = None) -> ParsedEdition:
    """Parse an edition's plain text; raise EditionFileError listing every problem found."""
    if not isinstance(text, str):  # a caller handing over bytes gets a problem, not a TypeError
        raise EditionFileError([Problem(path, 1, "expected decoded text, not bytes")])
    issues: _Issues = []
    blocks, end_line, sections = _lay_out(_read_blocks(text))
    title, start = _parse_title(blocks, issues)
    front = _parse_front(blocks[start:], title, issues)
    _check_front(front, end_line, sections[0][0], issues)
    curated, recent = (tuple(_parse_section(section, issues)) for section in sections)
    if issues:
        issues.sort(key=lambda issue: issue[0])  # by line; on one line, in the order found
        raise EditionFileError([Problem(path, *issue) for issue in issues])
    highlights = tuple(block.text for block in front.highlights)
    when, intro = date if front.date is None else front.date, tuple(front.intro)
    record = EditionRecord(slugify(title), title, when, highlights, intro, curated, recent)
    return ParsedEdition(path, record)


def _read_blocks(text: str) -> list[_Block]:
    """Normalise each line and group non-blank lines into blocks, keeping original numbers."""
    blocks, run = [], []
    for number, raw in enumerate([*_LINE_BREAK.split(text), ""], 1):
        line = _SPACES.sub(" ", raw.translate(_CLEAN)).strip()
        if line:
            run.append((number, line))
        elif run:
            blocks.append(_Block(run[0][0], " ".join(part for _, part in run)))
            run = []
    return blocks


def _lay_out(blocks: list[_Block]) -> tuple[list[_Block], int, tuple[_Section, _Section]]:
    """Split the text at its headings and footer: front blocks, the line ending them, sections."""
    count = len(blocks)
    curated = _find(blocks, 0, count, lambda text: _key(text) == CURATED_HEADING)
    body = 0 if curated is None else curated + 1
    footer = _find(blocks, body, count, _is_footer)
    stop = count if footer is None else footer
    recent = _find(blocks, body, stop, lambda text: _key(text) == RECENT_HEADING)
    middle = stop if recent is None else recent
    front_end = middle if curated is None else curated
    end_line = blocks[front_end].line if front_end < count else (blocks[-1].line if blocks else 1)
    end = "the end of the text" if footer is None else f"the footer {_quote(blocks[stop].text)}"
    tail = end if recent is None else f"the {RECENT_HEADING!r} heading"
    sections = (_section(blocks, curated, middle, tail), _section(blocks, recent, stop, end))
    return blocks[:front_end], end_line, sections


def _section(blocks: list[_Block], heading: int | None, stop: int, ending: str) -> _Section:
    if heading is None:
        return None, [], ending
    return blocks[heading], blocks[heading + 1 : stop], ending


def _parse_title(front: list[_Block], issues: _Issues) -> tuple[str, int]:
    """Return the title and the index of the block after it; page chrome before it is ignored."""
    for index, block in enumerate(front):
        if match := _TITLE.fullmatch(block.text):
            if not slugify(match[1]):
                issues.append((block.line, f"title line {_quote(block.text)} has no usable title"))
            return match[1], index + 1
    issues.append((1, "no title: expected a line like 'PRODUCTHEAD: Will platforms conquer …'"))
    return "", 0


def _parse_front(blocks: list[_Block], title: str, issues: _Issues) -> _Front:
    """Sort the blocks between the title and the curated heading into highlights and intro."""
    front = _Front()
    for block in blocks:
        in_header = not front.intro and front.sign_off is None
        if in_header and _drop_header_block(front, block, title, issues):
            continue
        if block.text.casefold().startswith(_BOILERPLATE):
            front.boilerplate = True
        elif not front.boilerplate:
            front.highlights.append(block)
        elif front.sign_off is not None:
            front.stray = front.stray or block
        elif _key(block.text) in _SIGN_OFFS:
            front.sign_off = block
        else:
            front.intro.append(block.text)
    return front


def _drop_header_block(front: _Front, block: _Block, title: str, issues: _Issues) -> bool:
    """Consume a repeated title, the tagline or a date line; return whether the block was one."""
    repeat = match[1] if (match := _TITLE.fullmatch(block.text)) else None
    if repeat is not None and repeat != title:
        issues.append((block.line, f"second title {repeat!r} differs from the first, {title!r}"))
    if repeat is not None or block.text.casefold().startswith("producthead is a"):
        return True
    found = _date_of(block.text)
    if isinstance(found, str):
        issues.append((block.line, found))
    elif found is not None and front.date not in (None, found):
        issues.append((block.line, f"second date {found} differs from the first, {front.date}"))
    elif found is not None:
        front.date = found
    return found is not None


def _check_front(front: _Front, end_line: int, curated: _Block | None, issues: _Issues) -> None:
    """Report the missing parts of the front matter: boilerplate, intro, curated heading."""
    if not front.boilerplate:
        issues.append((front.highlights[0].line if front.highlights else end_line, _NO_BOILERPLATE))
    elif not front.intro:
        line = end_line if front.sign_off is None else front.sign_off.line
        issues.append((line, "no intro: expected a paragraph before 'Speak to you soon,'"))
    stray = front.stray
    if curated is None:  # the heading belongs where stray text after the sign-off starts
        issues.append((stray.line if stray else end_line, f"no {CURATED_HEADING!r} heading line"))
    elif stray is not None:
        issues.append((stray.line, f"unexpected text {_quote(stray.text)} after the sign-off"))


def _parse_section(section: _Section, issues: _Issues) -> list[LinkRecord]:
    """Read a section's links: headline, blurb paragraphs, link text, then the source line."""
    heading, blocks, ending = section
    if heading is not None and not blocks:
        issues.append((heading.line, f"no links under {_quote(heading.text)}"))
    links: list[LinkRecord] = []
    pending: list[_Block] = []
    for block in blocks:
        if not block.text.startswith("["):
            pending.append(block)
            continue
        links.extend(filter(None, [_make_link(_take_link(pending, None, issues), block, issues)]))
        pending = []
    if pending:
        _take_link(pending, ending, issues)
    return links


def _take_link(pending: list[_Block], ending: str | None, issues: _Issues) -> list[_Block]:
    """Return the blocks of the link a source line closes; report runs that lost their source."""
    # Headlines and link texts are short and end no sentence; blurbs are paragraphs. Two such
    # captions in a row, neither opening nor closing the run, mark where a source is missing.
    chunks, start = [], 0
    for index in range(1, len(pending) - 2):
        if index > start and all(_is_caption(block.text) for block in pending[index : index + 2]):
            chunks.append(pending[start : index + 1])
            start = index + 1
    lost = [*chunks, pending[start:]]
    last = lost.pop() if ending is None else []  # at a section's end, every run is lost
    for chunk, after in zip(lost, [*lost[1:], last], strict=False):
        where = f"before the next headline {_quote(after[0].text)}" if after else f"before {ending}"
        issues.append((chunk[0].line, f"link {_quote(chunk[0].text)} has no {_SOURCE} {where}"))
    return last


def _make_link(chunk: list[_Block], source: _Block, issues: _Issues) -> LinkRecord | None:
    """Build one link from its headline, blurb and link text blocks and its source line."""
    parsed = _parse_source(source, issues)
    if not chunk:
        issues.append((source.line, f"source line {_quote(source.text)} has no headline before it"))
        return None
    headline, link_text = chunk[0], chunk[-1]
    if len(chunk) < 2 or _is_prose(link_text.text):
        issues.append((headline.line, f"link {_quote(headline.text)} has no link text line"))
        return None
    if _is_prose(headline.text):
        issues.append((headline.line, f"no headline: {_quote(headline.text)} reads like a blurb"))
        return None
    blurb = tuple(block.text for block in chunk[1:-1])
    return None if parsed is None else LinkRecord(headline.text, blurb, link_text.text, *parsed)


def _parse_source(block: _Block, issues: _Issues) -> tuple[str, str | None] | None:
    """Return (publication, author) from "[Author / Publication]" or "[Publication]"."""
    if not block.text.endswith("]"):
        issues.append((block.line, f"source line {_quote(block.text)} does not end with ']'"))
        return None
    author, publication = ("", *_SOURCE_SPLIT.split(block.text[1:-1], maxsplit=1))[-2:]
    if not publication.strip():
        expected = "expected [Author / Publication] or [Publication]"
        issues.append((block.line, f"no publication in {_quote(block.text)}: {expected}"))
        return None
    return publication.strip(), author.strip() or None


def _date_of(text: str) -> dt.date | str | None:
    """Return the date a header block states, a problem message, or None if it is no date."""
    match = next(filter(None, (form.fullmatch(text) for form in _DATES if len(text) <= 40)), None)
    if match is None:
        return None
    weekday, month = match.groupdict().get("weekday"), match["month"].casefold()
    number = int(month) if month.isdigit() else _MONTHS.get(month)
    if number is None or (weekday is not None and weekday.casefold() not in _DAYS):
        return None
    try:
        day = dt.date(int(match["year"]), number, int(match["day"]))
    except ValueError:
        return f"impossible date {text!r}: no such day in the calendar"
    if weekday is not None and _DAYS[weekday.casefold()] != day.weekday():
        return f"date {text!r} has the wrong weekday: it is a {day:%A}"
    return day


def _find(blocks: list[_Block], start: int, stop: int, test: Callable[[str], bool]) -> int | None:
    return next((index for index in range(start, stop) if test(blocks[index].text)), None)


def _key(text: str) -> str:
    """Return text folded for comparing headings and sign-offs, trailing punctuation ignored."""
    return text.casefold().rstrip(" .,:;!?…")


def _is_footer(text: str) -> bool:
    return _key(text) in _FOOTERS or text.casefold().startswith(_FOOTER_PREFIX)


def _is_caption(text: str) -> bool:
    """Return whether text reads like a headline or link text: short, ending no sentence."""
    last = text.rstrip("\u201d\u2019\"')]")[-1:]  # the last character inside any closing quotes
    return len(text.split()) <= 20 and last not in ".!…:;,"


def _is_prose(text: str) -> bool:
    """Return whether text is a sentence or paragraph: a blurb, not a headline or link text."""
    return len(text.split()) >= 6 and not _is_caption(text)


def _quote(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:59] + "…")
