"""Background jobs: large exports and reports made off the request, their progress
and their file's expiry

Revision ID: jobs1a2b3c4d
Revises: imports1a2b
Create Date: 2026-12-04

"""

import sqlalchemy as sa
from alembic import op

revision = "jobs1a2b3c4d"
down_revision = "imports1a2b"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=20
    )


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("jobkind", "export", "report", "paper"), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            _enum("jobstatus", "queued", "running", "done", "failed"),
            nullable=False,
        ),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_jobs_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_jobs_wave_id_waves")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_expires_at"), ["expires_at"])
        batch_op.create_index(batch_op.f("ix_jobs_owner_id"), ["owner_id"])


def downgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_owner_id"))
        batch_op.drop_index(batch_op.f("ix_jobs_expires_at"))
    op.drop_table("jobs")
