"""A round's results section above a size is computed by a job: the job kind
"results" (its file is the rendered section)

Revision ID: jobs3results
Revises: jobs2imports
Create Date: 2026-12-05

"""

from alembic import op

revision = "jobs3results"
down_revision = "jobs2imports"
branch_labels = None
depends_on = None

OLD_KINDS = ("export", "report", "paper", "import")
NEW_KINDS = (*OLD_KINDS, "results")


def _set_kinds(batch_op, values) -> None:
    batch_op.drop_constraint(op.f("ck_jobs_jobkind"), type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    batch_op.create_check_constraint("jobkind", f"kind IN ({listed})")


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        _set_kinds(batch_op, NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM jobs WHERE kind = 'results'")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        _set_kinds(batch_op, OLD_KINDS)
