"""Response files above a size are checked and stored by a job: the job kind
"import", and the outcome (counts and first problems) kept with the job

Revision ID: jobs2imports
Revises: answers1c3d
Create Date: 2026-12-05

"""

import sqlalchemy as sa
from alembic import op

from sipas.migration_steps import allow_values

revision = "jobs2imports"
down_revision = "answers1c3d"
branch_labels = None
depends_on = None

OLD_KINDS = ("export", "report", "paper")
NEW_KINDS = (*OLD_KINDS, "import")


def upgrade():
    # nothing refers to jobs: SQLite may rebuild the table with foreign keys on
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.JSON(), nullable=True))
        allow_values(batch_op, "jobs", "jobkind", "kind", NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM jobs WHERE kind = 'import'")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        allow_values(batch_op, "jobs", "jobkind", "kind", OLD_KINDS)
        batch_op.drop_column("outcome")
