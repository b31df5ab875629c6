"""Waves: when and by whom their results were published on /ket-qua

Revision ID: publish1a2b3c4d
Revises: units1a2b3c4d
Create Date: 2026-12-04

"""

import sqlalchemy as sa
from alembic import op

revision = "publish1a2b3c4d"
down_revision = "units1a2b3c4d"
branch_labels = None
depends_on = None


def upgrade():
    # add_column, never a batch rebuild: other tables have foreign keys to waves
    op.add_column("waves", sa.Column("published_at", sa.DateTime(timezone=True)))
    op.add_column("waves", sa.Column("published_by", sa.String(length=80)))


def downgrade():
    op.drop_column("waves", "published_by")
    op.drop_column("waves", "published_at")
