"""Paper forms with their serials; a wave setting for unverified paper entries

Revision ID: paper1a2b3c4d
Revises: accounts1a2b3c
Create Date: 2026-11-25

"""

import sqlalchemy as sa
from alembic import op

revision = "paper1a2b3c4d"
down_revision = "accounts1a2b3c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "paper_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("serial > 0", name=op.f("ck_paper_forms_serial_positive")),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_paper_forms_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_paper_forms_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_paper_forms_wave_id_waves")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_forms")),
        sa.UniqueConstraint(
            "wave_id", "serial", name=op.f("uq_paper_forms_wave_id_serial")
        ),
    )
    with op.batch_alter_table("paper_forms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_forms_batch"), ["batch"])
        batch_op.create_index(batch_op.f("ix_paper_forms_unit_id"), ["unit_id"])
    # a plain ADD COLUMN: SQLite's batch mode would copy the table, which the
    # foreign keys pointing at waves forbid
    op.add_column(
        "waves",
        sa.Column(
            "counts_unverified_paper",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
        ),
    )


def downgrade():
    op.drop_column("waves", "counts_unverified_paper")
    with op.batch_alter_table("paper_forms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_forms_unit_id"))
        batch_op.drop_index(batch_op.f("ix_paper_forms_batch"))
    op.drop_table("paper_forms")
