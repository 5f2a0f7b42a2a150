"""Newsletter delivery: bounced subscribers, one send record per edition, one delivery per reader.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

DELIVERY_STATUSES = ("waiting", "delivered", "failed", "bounced", "skipped")
SEND_STATES = ("draft", "scheduled", "sending", "paused", "done", "cancelled")


def _utc() -> sa.DateTime:
    # The models' UTCDateTime stores exactly this type.
    return sa.DateTime(timezone=True)


def _subscribers(statuses: tuple[str, ...], add: bool) -> None:
    # SQLite cannot change a CHECK constraint in place; batch mode copies the table.
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_subscribers_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_subscribers_status"), f"status IN {statuses}")
        if add:
            batch_op.add_column(sa.Column("bounced_at", _utc(), nullable=True))
            batch_op.add_column(sa.Column("bounce_reason", sa.String(length=300), nullable=True))
            batch_op.add_column(sa.Column("consent_note", sa.Text(), nullable=True))
        else:
            batch_op.drop_column("consent_note")
            batch_op.drop_column("bounce_reason")
            batch_op.drop_column("bounced_at")


def _sends() -> None:
    op.create_table(
        "newsletter_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("due_at", _utc(), nullable=True),
        sa.Column("started_at", _utc(), nullable=True),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("paced_until", _utc(), nullable=True),
        sa.CheckConstraint(f"state IN {SEND_STATES}", name=op.f("ck_newsletter_sends_state")),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["editions.id"],
            name=op.f("fk_newsletter_sends_edition_id_editions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_sends")),
        sa.UniqueConstraint("edition_id", name=op.f("uq_newsletter_sends_edition_id")),
    )
    op.create_table(
        "newsletter_autosend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("since", _utc(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_newsletter_autosend_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_autosend")),
    )


def _deliveries() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=True),
        sa.Column("claimed_until", _utc(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.CheckConstraint(f"status IN {DELIVERY_STATUSES}", name=op.f("ck_deliveries_status")),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["editions.id"],
            name=op.f("fk_deliveries_edition_id_editions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_deliveries_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("edition_id", "subscriber_id", name="uq_deliveries_recipient"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_claim", ["edition_id", "status", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deliveries_subscriber_id"), ["subscriber_id"], unique=False
        )


def upgrade() -> None:
    _subscribers(("pending", "confirmed", "unsubscribed", "bounced"), add=True)
    _sends()
    _deliveries()


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("newsletter_autosend")
    op.drop_table("newsletter_sends")
    # The old schema has no `bounced`: such an address is kept as unsubscribed, never mailed.
    op.execute("UPDATE subscribers SET status = 'unsubscribed' WHERE status = 'bounced'")
    _subscribers(("pending", "confirmed", "unsubscribed"), add=False)
