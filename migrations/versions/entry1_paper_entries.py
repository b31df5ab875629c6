"""Paper entries: first, second (blind) and settling typings of a paper form

Revision ID: entry1a2b3c4d
Revises: paper1a2b3c4d
Create Date: 2026-11-25

"""

import sqlalchemy as sa
from alembic import op

revision = "entry1a2b3c4d"
down_revision = "paper1a2b3c4d"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "paper_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.Column("keystrokes", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("round IN (1, 2, 3)", name=op.f("ck_paper_entries_round")),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["users.id"],
            name=op.f("fk_paper_entries_entered_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_paper_entries_response_id_responses"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_paper_entries_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_paper_entries_wave_id_waves")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_entries")),
        sa.UniqueConstraint(
            "wave_id",
            "serial",
            "round",
            name=op.f("uq_paper_entries_wave_id_serial_round"),
        ),
    )
    with op.batch_alter_table("paper_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_paper_entries_entered_by_id"), ["entered_by_id"]
        )
        batch_op.create_index(batch_op.f("ix_paper_entries_unit_id"), ["unit_id"])


def downgrade():
    with op.batch_alter_table("paper_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_entries_unit_id"))
        batch_op.drop_index(batch_op.f("ix_paper_entries_entered_by_id"))
    op.drop_table("paper_entries")
