"""The outbox's `failed` status: mail given up after PORTAL_OUTBOX_MAX_ATTEMPTS attempts.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _status_check(statuses: tuple[str, ...]) -> None:
    # SQLite cannot change a CHECK constraint in place; batch mode copies the table.
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outbox_status"), f"status IN {statuses}")


def upgrade() -> None:
    _status_check(("queued", "sent", "failed"))


def downgrade() -> None:
    # Failed mail goes back to the queue, the one state the old schema has for unsent mail.
    op.execute("UPDATE outbox SET status = 'queued' WHERE status = 'failed'")
    _status_check(("queued", "sent"))
