"""Live monitoring: the feeds polled by `mapdata watch` (sources), and each item's story (the reports of one event
grouped; NULL until the item is grouped, read as its own id).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("every", sa.Integer, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("etag", sa.Text, nullable=False, server_default=""),
        sa.Column("last_modified", sa.Text, nullable=False, server_default=""),
        sa.Column("last_attempt", sa.DateTime(timezone=True)),
        sa.Column("last_success", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("items_added", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("story", sa.String(64)))
    op.create_index("ix_items_story", "items", ["story"])


def downgrade() -> None:
    op.drop_index("ix_items_story", "items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("story")
    op.drop_table("sources")
