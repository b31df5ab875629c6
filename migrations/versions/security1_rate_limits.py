"""Rate-limit counters shared by the worker processes

Revision ID: security1a2b3c4d
Revises: privacy1a2b3c4d
Create Date: 2026-11-25

"""

import sqlalchemy as sa
from alembic import op

revision = "security1a2b3c4d"
down_revision = "privacy1a2b3c4d"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limits")),
    )
    op.create_index(
        op.f("ix_rate_limits_expires_at"), "rate_limits", ["expires_at"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_rate_limits_expires_at"), table_name="rate_limits")
    op.drop_table("rate_limits")
