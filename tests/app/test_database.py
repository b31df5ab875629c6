"""Plain rows for hot paths (sipas/database.py): a statement compiled once and run
with each batch's values, and a long result read a batch at a time (on PostgreSQL
through a server-side cursor, so the driver never holds the whole result)."""

from __future__ import annotations

import sqlalchemy as sa

from sipas.database import batch_bound, plain_rows, row_batches
from sipas.extensions import db
from sipas.models import Unit


def _units(count: int) -> list[int]:
    """Ids of ``count`` new units, increasing."""
    db.session.execute(
        sa.insert(Unit),
        [
            {"code": f"U{k:04d}", "name": f"Đơn vị {k}", "level": "commune"}
            for k in range(count)
        ],
    )
    db.session.flush()
    return list(db.session.scalars(sa.select(Unit.id).order_by(Unit.id)))


def test_row_batches_read_every_row_once_in_batches(app):
    ids = _units(25)
    statement = sa.select(Unit.id, Unit.name).order_by(Unit.id)
    batches = list(row_batches(statement, 10))
    assert [len(batch) for batch in batches] == [10, 10, 5]
    assert [row[0] for batch in batches for row in batch] == ids
    assert batches[0][0][1] == "Đơn vị 0"


def test_a_batch_statement_runs_again_with_other_values(app):
    ids = _units(12)
    in_span = (
        sa.select(Unit.id)
        .where(Unit.id.between(batch_bound("first"), batch_bound("last")))
        .where(Unit.code.in_(["U0001", "U0002", "U0007", "U0011"]))
        .order_by(Unit.id)
    )
    first = plain_rows(in_span, {"first": ids[0], "last": ids[5]})
    second = plain_rows(in_span, {"first": ids[6], "last": ids[11]})
    assert [row[0] for row in first] == [ids[1], ids[2]]
    assert [row[0] for row in second] == [ids[7], ids[11]]
