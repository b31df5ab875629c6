"""Official codes on units, with the era of the list they come from (the lists of
1/7/2025 reused codes: 80 was Long An and is now Tây Ninh)

Revision ID: units1a2b3c4d
Revises: quality1a2b3c4d
Create Date: 2026-12-04

On SQLite the columns are added and dropped with plain ALTER TABLE (the era's CHECK
written on the column itself): a batch rebuild of `units` would drop a table every
other table points at.
"""

import sqlalchemy as sa
from alembic import op

revision = "units1a2b3c4d"
down_revision = "quality1a2b3c4d"
branch_labels = None
depends_on = None

ERAS = ("before-2025-07", "2025-07")
INDEX_COLUMNS = ["official_era", "level", "official_code"]


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        values = ", ".join(f"'{era}'" for era in ERAS)
        op.execute("ALTER TABLE units ADD COLUMN official_code VARCHAR(5)")
        op.execute(
            "ALTER TABLE units ADD COLUMN official_era VARCHAR(20) "
            f"CONSTRAINT ck_units_officialera CHECK (official_era IN ({values}))"
        )
    else:
        era = sa.Enum(
            *ERAS, name="officialera", native_enum=False, create_constraint=True, length=20
        )
        op.add_column("units", sa.Column("official_code", sa.String(length=5)))
        op.add_column("units", sa.Column("official_era", era))
    op.create_index("ix_units_official_code", "units", INDEX_COLUMNS, unique=True)


def downgrade():
    op.drop_index("ix_units_official_code", table_name="units")
    if _sqlite():
        op.execute("ALTER TABLE units DROP COLUMN official_era")
        op.execute("ALTER TABLE units DROP COLUMN official_code")
    else:
        op.drop_column("units", "official_era")
        op.drop_column("units", "official_code")
