"""Turn one post (title, date, origin, content element) into an edition, a skip or a rejection."""

from __future__ import annotations

import datetime as dt
from html import unescape
from pathlib import Path

from lxml import html
from lxml.etree import ParserError, _Element

from portal.editions.records import (
    DocumentOutcome,
    EditionRecord,
    Origin,
    ParsedEdition,
    Problem,
    slugify,
)
from portal.importing.formats.post_content import (
    BadEdition,
    NotAnEdition,
    PostContent,
    edition_title,
    parse_post_content,
)

# Caps that keep a hostile or broken file from exhausting memory (README "Security").
MAX_FILE_BYTES = 256 * 1024 * 1024  # an export of a few thousand posts is tens of MB
MAX_PAGE_BYTES = 16 * 1024 * 1024  # a saved page or a feed
MAX_ITEM_CHARS = 2 * 1024 * 1024  # one post's content
FULL_TEXT_HINT = (
    "a feed must carry full text: "
    "WordPress Settings > Reading > 'For each post in a feed, include: Full text'"
)
NO_CONTENT = f"no post content found ({FULL_TEXT_HINT})"


def looks_like_edition(title: str) -> bool:
    """Return whether a post's title says it is an edition (it starts with PRODUCTHEAD)."""
    return title.strip().upper().startswith("PRODUCTHEAD")


def html_text(markup: str) -> str:
    """Return what a reader sees of an HTML snippet (a title): tags dropped, entities decoded."""
    if not markup.strip():
        return markup
    try:
        return str(html.fragment_fromstring(markup, create_parent="div").text_content())
    except (ParserError, ValueError):  # control characters lxml refuses: decode entities only
        return unescape(markup)


def skipped_name(title: str) -> str:
    """Return how a skipped post is named in the import's output."""
    name = " ".join(title.split())
    return f"{name!r} (not an edition)" if name else "an untitled post (not an edition)"


def item_too_long(outcome: DocumentOutcome, title: str, content: str) -> bool:
    """Reject an item whose content is over MAX_ITEM_CHARS, and say whether it was."""
    if len(content) <= MAX_ITEM_CHARS:
        return False
    message = f"item {edition_title(title)!r}: content over {MAX_ITEM_CHARS:,} characters"
    outcome.rejected.append(Problem(outcome.path, None, message))
    return True


def add_post(
    outcome: DocumentOutcome,
    title: str,
    date: dt.date | None,
    origin: Origin,
    content: _Element | None,
    notes: list[str] | None = None,
    *,
    no_content: str = NO_CONTENT,
) -> None:
    """Read one post into the outcome: an edition, a skipped article or a rejected item.

    A post without content is an edition only when its title says so; `no_content` says why
    such an edition is rejected (in a feed: the full-text hint).
    """
    name = edition_title(title)
    item = f"item {name!r}"
    try:
        post = _post_content(content, looks_like_edition(title), no_content)
    except NotAnEdition:
        outcome.skipped.append(skipped_name(title))
        return
    except BadEdition as error:
        outcome.rejected.append(Problem(outcome.path, None, f"{item}: {error}"))
        return
    record = EditionRecord(
        slug=slugify(name),
        title=name,
        date=date,
        highlights=post.highlights,
        intro=post.intro,
        curated=post.curated,
        recent_posts=post.recent_posts,
    )
    warnings = (*post.warnings, *(notes or []))
    outcome.editions.append(
        ParsedEdition(
            outcome.path, record, origin=origin, carries_themes=False, item=item, warnings=warnings
        )
    )


def _post_content(content: _Element | None, titled: bool, no_content: str) -> PostContent:
    if content is None:
        raise BadEdition(no_content) if titled else NotAnEdition
    return parse_post_content(content)


def too_big(path: Path, size: int, cap: int) -> Problem | None:
    """Return a Problem when a file or item is over its size cap."""
    if size <= cap:
        return None
    return Problem(path, None, f"too large ({size:,} bytes; the limit is {cap:,})")


def utc_date(moment: dt.datetime | None) -> dt.date | None:
    """Return the UTC day of a moment (naive moments are taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()
