"""A random token beside the revision counter, changed by every write: a restored backup or a copied database
brings its old counter back and counts up again from there, and only the token tells the new data from the
data a snapshot was made of.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("revision") as batch:  # batch: SQLite cannot add a NOT NULL column in place
        batch.add_column(sa.Column("token", sa.String(32), nullable=False, server_default=""))
    op.execute(sa.text("UPDATE revision SET token = :token").bindparams(token=uuid.uuid4().hex))


def downgrade() -> None:
    with op.batch_alter_table("revision") as batch:
        batch.drop_column("token")
