"""The responses' UUIDs unique by an index instead of a table constraint

SQLite cannot drop a table constraint's index. As an index of its own, a bulk
write into a nearly empty table (the demo, a first import) drops it with the
other indexes and makes it again by one sort at its end, instead of inserting
each random UUID into it (0.4 s of the demo's 170 000 responses). The same
uniqueness, under the same name.

Revision ID: responses2uuidindex
Revises: jobs4posters
Create Date: 2026-12-06

"""

from alembic import op

from sipas.migration_steps import sqlite_foreign_keys_off

revision = "responses2uuidindex"
down_revision = "jobs4posters"
branch_labels = None
depends_on = None

NAME = "uq_responses_uuid"


def upgrade():
    # SQLite rebuilds the table: no answer may cascade from the old one
    with sqlite_foreign_keys_off():
        with op.batch_alter_table("responses", schema=None) as batch_op:
            batch_op.drop_constraint(NAME, type_="unique")
        op.create_index(NAME, "responses", ["uuid"], unique=True)


def downgrade():
    op.drop_index(NAME, table_name="responses")
    with (
        sqlite_foreign_keys_off(),
        op.batch_alter_table("responses", schema=None) as batch_op,
    ):
        batch_op.create_unique_constraint(NAME, ["uuid"])
