"""Import batches: imported rows carry channel "import" and their file, and wait
for an administrator's acceptance unless the wave counts them at once

Revision ID: imports1a2b
Revises: privacy2remask1a
Create Date: 2026-12-04

"""

import sqlalchemy as sa
from alembic import op

revision = "imports1a2b"
down_revision = "privacy2remask1a"
branch_labels = None
depends_on = None

OLD_CHANNELS = ("web", "kiosk", "paper", "interview")
NEW_CHANNELS = (*OLD_CHANNELS, "import")


def _channels(values) -> str:
    return "channel IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds ``responses`` to change its CHECK: with foreign keys on,
    dropping the old table would cascade to every answer. The pragma only takes
    effect outside a transaction, so the one under way is committed first (the
    app's connections begin their own transactions, even in autocommit mode)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.dbapi_connection
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    raw.execute("BEGIN")


def _set_channels(batch_op, values) -> None:
    batch_op.drop_constraint(op.f("ck_responses_channel"), type_="check")
    batch_op.create_check_constraint("channel", _channels(values))


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
    _foreign_keys(False)
    with op.batch_alter_table("responses", schema=None) as batch_op:
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
        _set_channels(batch_op, NEW_CHANNELS)
    _foreign_keys(True)


def downgrade():
    # rows imported under the new channel keep their answers: they become paper,
    # the channel such files declared by default before
    op.execute("UPDATE responses SET channel = 'paper' WHERE channel = 'import'")
    _foreign_keys(False)
    with op.batch_alter_table("responses", schema=None) as batch_op:
        _set_channels(batch_op, OLD_CHANNELS)
        batch_op.drop_constraint(
            batch_op.f("fk_responses_import_batch_id_import_batches"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_responses_import_batch_id"))
        batch_op.drop_column("import_batch_id")
    _foreign_keys(True)
    op.drop_column("waves", "counts_unaccepted_imports")
    op.drop_table("import_batches")
