"""Editors' accounts, sign-in attempts, and the record of who changed what: the users, sign_ins and changes
tables, and the account behind each correction.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sign_ins",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("items", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_changes_account", "changes", ["account"])
    with op.batch_alter_table("corrections") as batch:
        batch.add_column(sa.Column("account", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("corrections") as batch:
        batch.drop_column("account")
    op.drop_index("ix_changes_account", "changes")
    op.drop_table("changes")
    op.drop_table("sign_ins")
    op.drop_table("users")
