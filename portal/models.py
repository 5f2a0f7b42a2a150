"""The archive's tables as typed SQLAlchemy 2 models."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


edition_themes = Table(
    "edition_themes",
    Base.metadata,
    Column("edition_id", ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)

link_themes = Table(
    "link_themes",
    Base.metadata,
    Column("link_id", ForeignKey("links.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Theme(Base):
    """A curated topic: platforms, stakeholders, risk, ..."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")


class Source(Base):
    """The publication a link comes from."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)


class Edition(Base):
    """One newsletter edition."""

    __tablename__ = "editions"
    __table_args__ = (Index("ix_editions_date_slug", "date", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    date: Mapped[dt.date | None]
    highlights: Mapped[list[str]] = mapped_column(JSON, default=list)
    intro: Mapped[list[str]] = mapped_column(JSON, default=list)
    # SHA-256 of the imported record: an unchanged file is recognised without loading links.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
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
    url: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)

    edition: Mapped[Edition] = relationship(back_populates="links")
    source: Mapped[Source] = relationship(lazy="joined")
    themes: Mapped[list[Theme]] = relationship(secondary=link_themes, order_by=Theme.slug)
