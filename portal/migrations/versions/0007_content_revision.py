"""A monotonic content revision, advanced in every write to editions or themes.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_content_revision_single_row")),
    )
    # Revision 1 for whatever is there: every index built before has none, so each host's
    # index catches up (a no-op diff) once and records it.
    op.execute(
        "INSERT INTO content_revision (id, revision, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP)"
    )


def downgrade() -> None:
    op.drop_table("content_revision")
