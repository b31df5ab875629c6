"""Quality rules on what the server can trust: its own receive time of each
response (kiosk throughput), and a short-lived table of phone completions per
hashed source (bursts from one address)

Existing responses take their submission time as their receive time: the best
the database knows; the throughput rule looks back an hour, so old rows hardly
matter to it.

Revision ID: quality2a2b3c4d
Revises: questionnaires1a2b
Create Date: 2026-12-04

"""

import sqlalchemy as sa
from alembic import op

revision = "quality2a2b3c4d"
down_revision = "questionnaires1a2b"
branch_labels = None
depends_on = None


def upgrade():
    # a plain ADD COLUMN on every database: no batch rebuild of responses
    op.add_column(
        "responses", sa.Column("received_at", sa.DateTime(timezone=True))
    )
    op.execute("UPDATE responses SET received_at = submitted_at")
    op.create_index(
        "ix_responses_device_received",
        "responses",
        ["device_code", "received_at"],
        unique=False,
    )
    op.create_table(
        "recent_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("answers_digest", sa.String(length=64), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_recent_completions_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_recent_completions_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recent_completions")),
    )
    op.create_index(
        "ix_recent_completions_source",
        "recent_completions",
        ["source_key", "unit_id", "completed_at"],
        unique=False,
    )
    op.create_index(
        "ix_recent_completions_completed_at",
        "recent_completions",
        ["completed_at"],
        unique=False,
    )


def downgrade():
    op.drop_index(
        "ix_recent_completions_completed_at", table_name="recent_completions"
    )
    op.drop_index("ix_recent_completions_source", table_name="recent_completions")
    op.drop_table("recent_completions")
    op.drop_index("ix_responses_device_received", table_name="responses")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE responses DROP COLUMN received_at")
    else:
        op.drop_column("responses", "received_at")
