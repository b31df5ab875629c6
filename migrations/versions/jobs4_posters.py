"""The QR posters of a round with many units are laid out by a job: the job kind
"posters"

Revision ID: jobs4posters
Revises: quality3signalled
Create Date: 2026-12-06

"""

from alembic import op

revision = "jobs4posters"
down_revision = "quality3signalled"
branch_labels = None
depends_on = None

OLD_KINDS = ("export", "report", "paper", "import", "results")
NEW_KINDS = (*OLD_KINDS, "posters")


def _set_kinds(batch_op, values) -> None:
    batch_op.drop_constraint(op.f("ck_jobs_jobkind"), type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    batch_op.create_check_constraint("jobkind", f"kind IN ({listed})")


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        _set_kinds(batch_op, NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM jobs WHERE kind = 'posters'")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        _set_kinds(batch_op, OLD_KINDS)
