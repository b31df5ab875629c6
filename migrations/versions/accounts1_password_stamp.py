"""Users: when the password changed, and a stamp that ends older sessions

Revision ID: accounts1a2b3c
Revises: 9d4e1a7b2c60
Create Date: 2026-11-25

"""

import sqlalchemy as sa
from alembic import op

revision = "accounts1a2b3c"
down_revision = "9d4e1a7b2c60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "session_stamp", sa.String(length=32), nullable=False, server_default=""
            )
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_stamp")
        batch_op.drop_column("password_changed_at")
