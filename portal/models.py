"""The archive's tables as typed SQLAlchemy 2 models."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# `bounced`: the provider refused the address for good (5xx); never mailed again (migration 0009).
SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed", "bounced")
OUTBOX_STATUSES = ("queued", "sent", "failed")
# One edition to one subscriber: waiting to go, delivered, given up (failed), refused for
# good (bounced), or skipped (unsubscribed or bounced before their turn came).
DELIVERY_STATUSES = ("waiting", "delivered", "failed", "bounced", "skipped")
# An edition's send: listed as ready (draft), due at a time (scheduled), under way
# (sending), stopped after a run of failures (paused), finished (done), or cancelled.
SEND_STATES = ("draft", "scheduled", "sending", "paused", "done", "cancelled")

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


def utc(value: dt.datetime) -> dt.datetime:
    """Return a time in UTC; a naive time is taken to be UTC already (SQLite returns those)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime, also on SQLite (which hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Store UTC; refuse naive values, whose zone nobody knows."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Return an aware UTC datetime."""
        return None if value is None else utc(value)


class Subscriber(Base):
    """An email address with a status, and the record of how it consented."""

    __tablename__ = "subscribers"
    __table_args__ = (CheckConstraint(f"status IN {SUBSCRIBER_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised (lower case, punycode domain) so one person is one row whatever they type.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    signed_up_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # HMAC of the client address with the secret key: evidence of consent, not a way back.
    signup_client_hash: Mapped[str] = mapped_column(String(64))
    consent_version: Mapped[str] = mapped_column(String(32))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    confirm_client_hash: Mapped[str | None] = mapped_column(String(64))
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When the last confirmation email was queued: at most one an hour per address.
    confirmation_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When and why the provider refused the address for good (migration 0009).
    bounced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    bounce_reason: Mapped[str | None] = mapped_column(String(300))
    # The consent record of a subscriber brought from another list, as that list gave it.
    consent_note: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """An email written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="status"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    # The whole RFC 5322 message, headers and body; emptied once sent.
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # A sender owns the message until then; a crashed sender's claim simply runs out.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


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


class NewsletterSend(Base):
    """One edition's send: its state, when it is due, and why it paused (migration 0009).

    Counts are not kept here: they are a query over `deliveries`, so they cannot drift.
    """

    __tablename__ = "newsletter_sends"
    __table_args__ = (CheckConstraint(f"state IN {SEND_STATES}", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("editions.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(16))
    # `autosend` (listed by `flask editions sync`) or `command` (`flask newsletter send`).
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # When a scheduled send comes due (`flask newsletter send --due` sends it).
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When the audience was recorded: every subscriber confirmed then, nobody after.
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Why the send paused (the last SMTP error), for `flask newsletter status`.
    note: Mapped[str | None] = mapped_column(Text)
    # The end of the last time window a sender reserved at PORTAL_MAIL_RATE: windows never
    # overlap, so the rate holds for every sender of the edition together.
    paced_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One edition to one subscriber: ids, status, attempts and times, never the message body."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("edition_id", "subscriber_id", name="uq_deliveries_recipient"),
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status"),
        # Claiming reads the waiting rows of one edition in id order.
        Index("ix_deliveries_claim", "edition_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    # Erasing a subscriber (`flask subscribers forget`) erases their deliveries too.
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    attempts: Mapped[int] = mapped_column(default=0)
    # Not before then: a temporary refusal waits longer each time.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A sender owns the row until then; a killed sender's claim runs out within a minute.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Which sender (host, process, random) holds the claim, for `status` and for renewals.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))


class AutosendState(Base):
    """When `flask editions sync` first saw PORTAL_NEWSLETTER_AUTOSEND on: editions before are never mailed by themselves."""

    __tablename__ = "newsletter_autosend"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime())
