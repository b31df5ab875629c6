"""A round's results section above a size is computed by a job: the job kind
"results" (its file is the rendered section)

Revision ID: jobs3results
Revises: jobs2imports
Create Date: 2026-12-05

"""

from alembic import op

from sipas.migration_steps import allow_only

revision = "jobs3results"
down_revision = "jobs2imports"
branch_labels = None
depends_on = None

OLD_KINDS = ("export", "report", "paper", "import")
NEW_KINDS = (*OLD_KINDS, "results")


def upgrade():
    allow_only("jobs", "jobkind", "kind", NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM jobs WHERE kind = 'results'")
    allow_only("jobs", "jobkind", "kind", OLD_KINDS)
