"""Where each edition came from on the WordPress site: post GUID, permalink and its path.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added columns and unique indexes, not a table rebuild: rebuilding `editions` on SQLite
    # would cascade-delete its links and taggings.
    for name in ("origin_guid", "origin_permalink", "origin_path"):
        op.add_column("editions", sa.Column(name, sa.Text(), nullable=True))
    op.create_index("ix_editions_origin_guid", "editions", ["origin_guid"], unique=True)
    op.create_index("ix_editions_origin_permalink", "editions", ["origin_permalink"], unique=True)
    op.create_index("ix_editions_origin_path", "editions", ["origin_path"])


def downgrade() -> None:
    for name in ("origin_path", "origin_permalink", "origin_guid"):
        op.drop_index(f"ix_editions_{name}", table_name="editions")
    with op.batch_alter_table("editions") as batch:
        for name in ("origin_path", "origin_permalink", "origin_guid"):
            batch.drop_column(name)
