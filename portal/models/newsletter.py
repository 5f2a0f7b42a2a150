"""An edition's send and its delivery records: ids, states and times, never a message body."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime

# One edition to one subscriber: waiting to go, delivered, given up (failed), refused for
# good (bounced), or skipped (unsubscribed or bounced before their turn came).
DELIVERY_STATUSES = ("waiting", "delivered", "failed", "bounced", "skipped")
# An edition's send: listed as ready (draft), due at a time (scheduled), under way
# (sending), stopped after a run of failures (paused), finished (done), or cancelled.
SEND_STATES = ("draft", "scheduled", "sending", "paused", "done", "cancelled")


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
