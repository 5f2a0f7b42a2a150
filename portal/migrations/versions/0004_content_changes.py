"""When a theme last changed, and an index on when editions did: the pages' HTTP validators.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable and without a server default: SQLite's ALTER TABLE cannot add a column whose
    # default is not a constant, and rebuilding `themes` would cascade-delete its taggings.
    op.add_column("themes", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE themes SET updated_at = CURRENT_TIMESTAMP")
    op.create_index(op.f("ix_editions_updated_at"), "editions", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_editions_updated_at"), table_name="editions")
    with op.batch_alter_table("themes") as batch:
        batch.drop_column("updated_at")
