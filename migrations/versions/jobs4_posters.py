"""The QR posters of a round with many units are laid out by a job: the job kind
"posters"

Revision ID: jobs4posters
Revises: quality3signalled
Create Date: 2026-12-06

"""

from alembic import op

from sipas.migration_steps import allow_only

revision = "jobs4posters"
down_revision = "quality3signalled"
branch_labels = None
depends_on = None

OLD_KINDS = ("export", "report", "paper", "import", "results")
NEW_KINDS = (*OLD_KINDS, "posters")


def upgrade():
    allow_only("jobs", "jobkind", "kind", NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM jobs WHERE kind = 'posters'")
    allow_only("jobs", "jobkind", "kind", OLD_KINDS)
