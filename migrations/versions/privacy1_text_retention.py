"""Waves: when they closed, how long original free-text answers are kept, and when
they were erased

Revision ID: privacy1a2b3c4d
Revises: devices1a2b3c4d
Create Date: 2026-11-25

"""

import sqlalchemy as sa
from alembic import op

revision = "privacy1a2b3c4d"
down_revision = "devices1a2b3c4d"
branch_labels = None
depends_on = None


def upgrade():
    # add_column, never a batch rebuild: other tables have foreign keys to waves
    op.add_column("waves", sa.Column("closed_at", sa.DateTime(timezone=True)))
    op.add_column("waves", sa.Column("text_retention_days", sa.Integer()))
    op.add_column("waves", sa.Column("texts_erased_at", sa.DateTime(timezone=True)))
    # a wave closed before: its last status change (always the closing) is its close;
    # its retention stays None (kept) until an administrator sets one
    op.execute(
        "UPDATE waves SET closed_at = ("
        " SELECT MAX(audit_events.occurred_at) FROM audit_events"
        " WHERE audit_events.action = 'wave.status'"
        " AND audit_events.object_type = 'wave'"
        " AND audit_events.object_id = waves.code"
        ") WHERE status = 'closed'"
    )


def downgrade():
    op.drop_column("waves", "texts_erased_at")
    op.drop_column("waves", "text_retention_days")
    op.drop_column("waves", "closed_at")
