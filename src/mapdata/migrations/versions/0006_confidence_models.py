"""Tagging v2: the calibrated probability of each item's tone and of each of its topics (NULL for items tagged
before, or by the rules alone), and the topic and tone weights learned with the analysts' corrections.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("confidence", sa.Float))
    op.create_index("ix_items_confidence", "items", ["confidence"])
    with op.batch_alter_table("topics") as batch:
        batch.add_column(sa.Column("confidence", sa.Float))
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("weights", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account", sa.String(200), nullable=False, server_default=""),
        sa.Column("briefs", sa.Integer, nullable=False, server_default="0"),
        sa.Column("corrected", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("models")
    with op.batch_alter_table("topics") as batch:
        batch.drop_column("confidence")
    op.drop_index("ix_items_confidence", "items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("confidence")
