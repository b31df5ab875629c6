"""Covering indexes for the grouped queries of wave statistics and option shares

Revision ID: 9d4e1a7b2c60
Revises: 7c1d2e3f4a5b
Create Date: 2026-11-25

"""

from alembic import op

revision = "9d4e1a7b2c60"
down_revision = "7c1d2e3f4a5b"
branch_labels = None
depends_on = None

COLUMNS = [
    "wave_id",
    "status",
    "unit_id",
    "channel",
    "criteria_answered",
    "criteria_satisfied",
]


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_patterns", COLUMNS, unique=False)
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index("ix_answers_item_value")
        batch_op.create_index(
            "ix_answers_item_response", ["item_code", "response_id", "value"]
        )


def downgrade():
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index("ix_answers_item_response")
        batch_op.create_index("ix_answers_item_value", ["item_code", "value"])
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_patterns")
