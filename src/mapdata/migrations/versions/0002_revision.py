"""A revision counter: one row, bumped by every write, so readers can tell cheaply and exactly whether the data
changed (row counts miss a re-tag that keeps the number of tags); `instance` tells two databases at one URL apart.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "revision",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("instance", sa.String(32), nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "instance": uuid.uuid4().hex, "n": 0}])


def downgrade() -> None:
    op.drop_table("revision")
