"""Kiosk devices enrolled with a token

Revision ID: devices1a2b3c4d
Revises: entry1a2b3c4d
Create Date: 2026-11-25

"""

import sqlalchemy as sa
from alembic import op

revision = "devices1a2b3c4d"
down_revision = "entry1a2b3c4d"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("app_version", sa.String(length=40), nullable=True),
        sa.Column("unsent_count", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_devices_unit_id", "devices", ["unit_id"])
    # the device-rate rule counts a device's recent responses
    op.create_index(
        "ix_responses_device_submitted", "responses", ["device_code", "submitted_at"]
    )


def downgrade():
    op.drop_index("ix_responses_device_submitted", table_name="responses")
    op.drop_index("ix_devices_unit_id", table_name="devices")
    op.drop_table("devices")
