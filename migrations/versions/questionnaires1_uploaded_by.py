"""Questionnaire versions: who uploaded them in the back office

Revision ID: questionnaires1a2b
Revises: publish1a2b3c4d
Create Date: 2026-12-04

"""

import sqlalchemy as sa
from alembic import op

revision = "questionnaires1a2b"
down_revision = "publish1a2b3c4d"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_questionnaire_versions_uploaded_by_id_users"


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    # never a batch rebuild: waves and responses have foreign keys to this table
    if _sqlite():
        op.execute(
            "ALTER TABLE questionnaire_versions ADD COLUMN uploaded_by_id INTEGER "
            f"CONSTRAINT {FOREIGN_KEY} REFERENCES users (id)"
        )
    else:
        op.add_column(
            "questionnaire_versions", sa.Column("uploaded_by_id", sa.Integer())
        )
        op.create_foreign_key(
            FOREIGN_KEY, "questionnaire_versions", "users", ["uploaded_by_id"], ["id"]
        )


def downgrade():
    if _sqlite():
        op.execute("ALTER TABLE questionnaire_versions DROP COLUMN uploaded_by_id")
    else:
        op.drop_constraint(FOREIGN_KEY, "questionnaire_versions", type_="foreignkey")
        op.drop_column("questionnaire_versions", "uploaded_by_id")
