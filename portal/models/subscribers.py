"""Subscribers, with the record of their consent, and the outbox of one-off emails."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime

# `bounced`: the provider refused the address for good (5xx); never mailed again (migration 0009).
SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed", "bounced")
OUTBOX_STATUSES = ("queued", "sent", "failed")


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
