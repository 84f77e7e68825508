"""Initial schema: items, actor tags with evidence, topics, relations, manual corrections.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("tone", sa.String(16), nullable=False),
        sa.Column("lead_actor", sa.String(24)),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_items_date", "items", ["date"])
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(64), sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("actor", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("phrase", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("manual", sa.Boolean, nullable=False),
    )
    op.create_index("ix_tags_actor", "tags", ["actor", "item_id"])
    op.create_index("ix_tags_item", "tags", ["item_id"])
    op.create_table(
        "topics",
        sa.Column("item_id", sa.String(64), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("topic", sa.String(32), primary_key=True),
    )
    op.create_index("ix_topics_topic", "topics", ["topic", "item_id"])
    op.create_table(
        "relations",
        sa.Column("item_id", sa.String(64), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source", sa.String(24), primary_key=True),
        sa.Column("target", sa.String(24), primary_key=True),
    )
    op.create_index("ix_relations_pair", "relations", ["source", "target"])
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(64), sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("value", sa.String(32), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_corrections_item", "corrections", ["item_id"])


def downgrade() -> None:
    for table in ("corrections", "relations", "topics", "tags", "items"):
        op.drop_table(table)
