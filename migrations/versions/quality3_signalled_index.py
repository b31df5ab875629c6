"""A partial index of the responses with a quality signal, for the review lists

The list of responses filtered by a signal read every response of the round to test
its signals (1M responses: 3.4 s a page on SQLite). Signalled responses are a few in
a hundred; their own index (round, status, unit, time) finds them alone.

Revision ID: quality3signalled
Revises: choices1a2b3c
Create Date: 2026-12-05

"""

import sqlalchemy as sa
from alembic import op

revision = "quality3signalled"
down_revision = "choices1a2b3c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_responses_signalled",
        "responses",
        ["wave_id", "status", "unit_id", "submitted_at"],
        sqlite_where=sa.text("quality_signals != 0"),
        postgresql_where=sa.text("quality_signals != 0"),
    )


def downgrade():
    op.drop_index("ix_responses_signalled", table_name="responses")
