"""Criteria masks on responses, so wave statistics group responses, not answers

Revision ID: 7c1d2e3f4a5b
Revises: 5e37da175848
Create Date: 2026-11-23

"""

import json

import sqlalchemy as sa
from alembic import op

revision = "7c1d2e3f4a5b"
down_revision = "5e37da175848"
branch_labels = None
depends_on = None


def _criteria(definition) -> list[str]:
    """Scale items with a factor, in questionnaire order (as the app defines them)."""
    if isinstance(definition, str):
        definition = json.loads(definition)
    return [
        item["code"]
        for section in definition["sections"]
        for item in section["items"]
        if item.get("type") == "scale" and item.get("factor")
    ]


def upgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("criteria_answered", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("criteria_satisfied", sa.BigInteger(), nullable=True))
    connection = op.get_bind()
    versions = connection.execute(sa.text("SELECT id, definition FROM questionnaire_versions"))
    for version_id, definition in versions.fetchall():
        bits = {code: 1 << k for k, code in enumerate(_criteria(definition))}
        if not bits:
            continue
        bit = "CASE a.item_code " + " ".join(
            f"WHEN '{code}' THEN {value}" for code, value in bits.items()
        ) + " ELSE 0 END"
        for column, values in (("criteria_answered", "('1','2','3','4','5')"),
                               ("criteria_satisfied", "('4','5')")):
            connection.execute(sa.text(
                f"UPDATE responses SET {column} = (SELECT COALESCE(SUM({bit}), 0) "
                f"FROM answers a WHERE a.response_id = responses.id "
                f"AND a.value IN {values}) WHERE questionnaire_id = :version"
            ), {"version": version_id})


def downgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("criteria_satisfied")
        batch_op.drop_column("criteria_answered")
