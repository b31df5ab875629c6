"""Import batches: imported rows carry channel "import" and their file, and wait
for an administrator's acceptance unless the wave counts them at once

Revision ID: imports1a2b
Revises: privacy2remask1a
Create Date: 2026-12-04

"""

import sqlalchemy as sa
from alembic import op

from sipas.migration_steps import allow_values, sqlite_foreign_keys_off

revision = "imports1a2b"
down_revision = "privacy2remask1a"
branch_labels = None
depends_on = None

OLD_CHANNELS = ("web", "kiosk", "paper", "interview")
NEW_CHANNELS = (*OLD_CHANNELS, "import")


def upgrade():
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"], ["users.id"],
            name=op.f("fk_import_batches_accepted_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_id"], ["users.id"],
            name=op.f("fk_import_batches_imported_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_import_batches_wave_id_waves")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.add_column(
        "waves",
        sa.Column(
            "counts_unaccepted_imports",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
        ),
    )
    with (
        sqlite_foreign_keys_off(),
        op.batch_alter_table("responses", schema=None) as batch_op,
    ):
        batch_op.add_column(sa.Column("import_batch_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_responses_import_batch_id"), ["import_batch_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_responses_import_batch_id_import_batches"),
            "import_batches",
            ["import_batch_id"],
            ["id"],
        )
        allow_values(batch_op, "responses", "channel", "channel", NEW_CHANNELS)


def downgrade():
    # rows imported under the new channel keep their answers: they become paper,
    # the channel such files declared by default before
    op.execute("UPDATE responses SET channel = 'paper' WHERE channel = 'import'")
    with (
        sqlite_foreign_keys_off(),
        op.batch_alter_table("responses", schema=None) as batch_op,
    ):
        allow_values(batch_op, "responses", "channel", "channel", OLD_CHANNELS)
        batch_op.drop_constraint(
            batch_op.f("fk_responses_import_batch_id_import_batches"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_responses_import_batch_id"))
        batch_op.drop_column("import_batch_id")
    op.drop_column("waves", "counts_unaccepted_imports")
    op.drop_table("import_batches")
