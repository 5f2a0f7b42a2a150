"""Writing parsed editions and the theme catalogue to the database, and reading them back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import revision
from portal.editions.catalogue import ThemeEntry
from portal.editions.records import (
    EditionRecord,
    LinkRecord,
    Origin,
    ParsedEdition,
    Section,
    slugify,
)
from portal.models import Edition, Link, Source, Theme

# Themes to add to links of one edition: (section, position) -> theme slugs.
Tags = Mapping[tuple[Section, int], Iterable[str]]


class Outcome(StrEnum):
    """What saving an edition did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def content_hash(record: EditionRecord) -> str:
    """Return a digest of everything in the record, to tell an unchanged file at a glance."""
    data = json.dumps(dataclasses.asdict(record), default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def sync_themes(session: Session, catalogue: list[ThemeEntry]) -> None:
    """Add new themes and update changed ones; themes dropped from the file are kept."""
    existing = {theme.slug: theme for theme in session.scalars(select(Theme))}
    now = dt.datetime.now(dt.UTC)
    changed = False
    for entry in catalogue:
        theme = existing.get(entry.slug) or Theme(slug=entry.slug)
        if (theme.name, theme.description) != (entry.name, entry.description):
            theme.name, theme.description = entry.name, entry.description
            theme.updated_at = now
            changed = True
        session.add(theme)
    if changed:
        revision.advance(session)


class SlugTaken(Exception):
    """The slug belongs to an edition of another WordPress post (a different GUID)."""


class EditionWriter:
    """Saves editions within one session, caching themes and sources across files."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.themes = {theme.slug: theme for theme in session.scalars(select(Theme))}
        self.sources = {source.slug: source for source in session.scalars(select(Source))}

    def save_parsed(self, parsed: ParsedEdition) -> Outcome:
        """Save a parsed edition onto the edition it is a form of (by GUID, permalink, slug)."""
        edition = self.find(parsed.record.slug, parsed.origin)
        record = parsed.record
        guids = {edition.origin_guid, parsed.origin.guid} - {None} if edition else set()
        if edition is not None and len(guids) > 1:
            raise SlugTaken(
                f"slug '{edition.slug}' belongs to another post ({edition.origin_guid})"
            )
        if edition is not None:
            # The slug never changes once published; themes tagged in the portal stay when
            # the form carries none (pages, feeds, exports).
            record = dataclasses.replace(record, slug=edition.slug)
            if not parsed.carries_themes:
                record = keep_themes(record, edition_record(edition))
        outcome = self.save(record)
        edition = edition or self.session.scalar(select(Edition).where(Edition.slug == record.slug))
        # A new GUID or permalink on an unchanged edition is a change too (old addresses).
        found = edition is not None and remember_origin(edition, parsed.origin)
        if found and outcome is Outcome.UNCHANGED:
            revision.advance(self.session)
        return outcome

    def find(self, slug: str, origin: Origin) -> Edition | None:
        """Return the edition with the origin's GUID, else its permalink, else the slug."""
        for column, value in (
            (Edition.origin_guid, origin.guid),
            (Edition.origin_permalink, origin.permalink),
            (Edition.slug, slug),
        ):
            if value:
                edition = self.session.scalar(select(Edition).where(column == value))
                if edition is not None:
                    return edition
        return None

    def save(self, record: EditionRecord) -> Outcome:
        """Add or update the edition with the record's slug; leave it alone when unchanged."""
        digest = content_hash(record)
        edition = self.session.scalar(select(Edition).where(Edition.slug == record.slug))
        if edition is not None and edition.content_hash == digest:
            return Outcome.UNCHANGED
        outcome = Outcome.UPDATED if edition else Outcome.ADDED
        if edition is None:
            edition = Edition(slug=record.slug)
            self.session.add(edition)
        else:
            # Old links go first, so new ones can take their (section, position) places.
            edition.links.clear()
            self.session.flush()
        self._fill(edition, record, digest)
        revision.advance(self.session)
        return outcome

    def tag_links(self, edition: Edition, tags: Tags) -> Outcome:
        """Add themes to a stored edition's links: saved as an import saves, a content change."""
        return self.save(with_link_themes(edition_record(edition), tags))

    def _fill(self, edition: Edition, record: EditionRecord, digest: str) -> None:
        edition.title, edition.date = record.title, record.date
        edition.highlights, edition.intro = list(record.highlights), list(record.intro)
        edition.content_hash = digest
        edition.updated_at = dt.datetime.now(dt.UTC)
        edition.themes = [self.themes[slug] for slug in record.themes]
        edition.links = [self._link(section, n, link) for section, n, link in record.links()]

    def _link(self, section: Section, position: int, record: LinkRecord) -> Link:
        return Link(
            section=section.value,
            position=position,
            headline=record.headline,
            blurb=list(record.blurb),
            link_text=record.link_text,
            url=record.url,
            author=record.author,
            source=self._source(record.source),
            themes=[self.themes[slug] for slug in record.themes],
        )

    def _source(self, name: str) -> Source:
        slug = slugify(name)
        if slug not in self.sources:
            self.sources[slug] = Source(slug=slug, name=name)
        return self.sources[slug]


def keep_themes(record: EditionRecord, stored: EditionRecord) -> EditionRecord:
    """Return the record with the stored edition's themes, links matched by url or headline."""
    old_links = stored.curated + stored.recent_posts
    by_url = {link.url: link.themes for link in old_links if link.url}
    by_headline = {link.headline: link.themes for link in old_links}

    def tagged(link: LinkRecord) -> LinkRecord:
        themes = by_url.get(link.url or "") or by_headline.get(link.headline, ())
        return dataclasses.replace(link, themes=themes)

    return dataclasses.replace(
        record,
        themes=stored.themes,
        curated=tuple(tagged(link) for link in record.curated),
        recent_posts=tuple(tagged(link) for link in record.recent_posts),
    )


def with_link_themes(record: EditionRecord, tags: Tags) -> EditionRecord:
    """Return the record with the tags' themes added to its links (each link's set sorted)."""

    def tagged(section: Section, links: tuple[LinkRecord, ...]) -> tuple[LinkRecord, ...]:
        return tuple(
            dataclasses.replace(
                link, themes=tuple(sorted({*link.themes, *tags.get((section, n), ())}))
            )
            for n, link in enumerate(links, start=1)
        )

    return dataclasses.replace(
        record,
        curated=tagged(Section.CURATED, record.curated),
        recent_posts=tagged(Section.RECENT_POST, record.recent_posts),
    )


def remember_origin(edition: Edition, origin: Origin) -> bool:
    """Fill in a GUID and permalink from a form that has them (never erase); True if changed."""
    before = (edition.origin_guid, edition.origin_permalink)
    if origin.guid:
        edition.origin_guid = origin.guid
    if origin.permalink:
        edition.origin_permalink = origin.permalink
        edition.origin_path = origin_path(origin.permalink)
    return (edition.origin_guid, edition.origin_permalink) != before


def origin_path(permalink: str) -> str:
    """Return a permalink's path as the old site served it: '/slug/' (no host, no query)."""
    path = urlsplit(permalink).path or "/"
    return path if path.endswith("/") else path + "/"


def edition_origin(edition: Edition) -> Origin:
    """Return where an edition came from, for export."""
    return Origin(edition.origin_guid, edition.origin_permalink)


def edition_record(edition: Edition) -> EditionRecord:
    """Return the record an edition was imported from (for export and comparison)."""
    return EditionRecord(
        slug=edition.slug,
        title=edition.title,
        date=edition.date,
        highlights=tuple(edition.highlights),
        intro=tuple(edition.intro),
        curated=tuple(_link_record(link) for link in edition.curated),
        recent_posts=tuple(_link_record(link) for link in edition.recent_posts),
        themes=tuple(theme.slug for theme in edition.themes),
    )


def _link_record(link: Link) -> LinkRecord:
    return LinkRecord(
        headline=link.headline,
        blurb=tuple(link.blurb),
        link_text=link.link_text,
        source=link.source.name,
        author=link.author,
        url=link.url,
        themes=tuple(theme.slug for theme in link.themes),
    )


def all_edition_records(session: Session) -> list[EditionRecord]:
    """Return every edition as a record, in slug order."""
    return [record for record, _origin in all_edition_exports(session)]


def all_edition_exports(session: Session) -> list[tuple[EditionRecord, Origin]]:
    """Return every edition as a record with its origin, in slug order."""
    query = (
        select(Edition)
        .order_by(Edition.slug)
        .options(
            selectinload(Edition.themes), selectinload(Edition.links).selectinload(Link.themes)
        )
    )
    return [(edition_record(e), edition_origin(e)) for e in session.scalars(query)]
