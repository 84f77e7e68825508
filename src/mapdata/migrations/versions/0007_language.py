"""Non-English news: the language each item is written in (ISO 639-1, as detected when it was tagged; empty for
items stored before, until `mapdata retag`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("lang", sa.String(8), nullable=False, server_default=""))
    op.create_index("ix_items_lang", "items", ["lang"])


def downgrade() -> None:
    op.drop_index("ix_items_lang", "items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("lang")
