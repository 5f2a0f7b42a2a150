"""Indexes for the lookups behind theme pages, related editions and "also featured in".

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_edition_themes_theme_id"), "edition_themes", ["theme_id"])
    op.create_index(op.f("ix_link_themes_theme_id"), "link_themes", ["theme_id"])
    op.create_index(op.f("ix_links_url"), "links", ["url"])


def downgrade() -> None:
    op.drop_index(op.f("ix_links_url"), table_name="links")
    op.drop_index(op.f("ix_link_themes_theme_id"), table_name="link_themes")
    op.drop_index(op.f("ix_edition_themes_theme_id"), table_name="edition_themes")
