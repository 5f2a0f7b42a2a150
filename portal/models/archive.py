"""The archive: editions, their links, themes and sources, and the content revision."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime

edition_themes = Table(
    "edition_themes",
    Base.metadata,
    Column("edition_id", ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True),
    # Indexed: theme pages and related editions look editions up by theme.
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)

link_themes = Table(
    "link_themes",
    Base.metadata,
    Column("link_id", ForeignKey("links.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Theme(Base):
    """A curated topic: platforms, stakeholders, risk, ..."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    # When the name or description last changed (set by the import): pages show both.
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Source(Base):
    """The publication a link comes from."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)


class Edition(Base):
    """One newsletter edition."""

    __tablename__ = "editions"
    __table_args__ = (
        Index("ix_editions_date_slug", "date", "slug"),
        Index("ix_editions_origin_guid", "origin_guid", unique=True),
        Index("ix_editions_origin_permalink", "origin_permalink", unique=True),
        Index("ix_editions_origin_path", "origin_path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    date: Mapped[dt.date | None]
    highlights: Mapped[list[str]] = mapped_column(JSON, default=list)
    intro: Mapped[list[str]] = mapped_column(JSON, default=list)
    # SHA-256 of the imported record: an unchanged file is recognised without loading links.
    content_hash: Mapped[str] = mapped_column(String(64))
    # Where it came from on the WordPress site (migration 0005): the post's GUID and
    # permalink find the same edition whatever form it is imported from, and the permalink's
    # path (without the host) answers the old address with a redirect.
    origin_guid: Mapped[str | None] = mapped_column(Text)
    origin_permalink: Mapped[str | None] = mapped_column(Text)
    origin_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # Indexed: the newest change dates every archive page (portal/caching.py).
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )

    links: Mapped[list[Link]] = relationship(
        back_populates="edition",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Link.section, Link.position)",
    )
    themes: Mapped[list[Theme]] = relationship(secondary=edition_themes, order_by=Theme.slug)

    @property
    def curated(self) -> list[Link]:
        """Return the curated links in order."""
        return [link for link in self.links if link.section == "curated"]

    @property
    def recent_posts(self) -> list[Link]:
        """Return the editor's recent posts in order."""
        return [link for link in self.links if link.section == "recent_post"]


def link_anchor(section: str, position: int) -> str:
    """Return a link's element id on its edition's page: `link-N` if curated, `post-N` if a recent post."""
    return f"{'link' if section == 'curated' else 'post'}-{position}"


class Link(Base):
    """A curated link or a recent post inside an edition."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("edition_id", "section", "position", name="uq_links_place"),
        CheckConstraint("section IN ('curated', 'recent_post')", name="section"),
        CheckConstraint("position >= 1", name="position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(16))
    position: Mapped[int]
    headline: Mapped[str] = mapped_column(Text)
    blurb: Mapped[list[str]] = mapped_column(JSON, default=list)
    link_text: Mapped[str] = mapped_column(Text)
    # Indexed: "also featured in" finds the other appearances of a url.
    url: Mapped[str | None] = mapped_column(Text, index=True)
    author: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)

    edition: Mapped[Edition] = relationship(back_populates="links")
    source: Mapped[Source] = relationship(lazy="joined")
    themes: Mapped[list[Theme]] = relationship(secondary=link_themes, order_by=Theme.slug)

    @property
    def anchor(self) -> str:
        """Return this link's element id on its edition's page."""
        return link_anchor(self.section, self.position)


class FeedState(Base):
    """What `flask editions sync` last heard from a feed, for a conditional GET (migration 0006)."""

    __tablename__ = "feeds_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ContentRevision(Base):
    """The archive's revision: one row, advanced by every write that changes editions or themes.

    Pages, ETags, kept pages and each host's search index key on this number rather than on
    `updated_at`, which the writing host's clock sets (migration 0007). The increment runs
    inside the write's own transaction, so on PostgreSQL its row lock orders concurrent
    writers and a revision is visible exactly when the change it numbers is.
    """

    __tablename__ = "content_revision"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    # The database's clock at the last advance: the pages' Last-Modified, one clock for all hosts.
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
