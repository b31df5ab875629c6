"""Steps the Alembic migrations (``migrations/versions/``) share.

A migration that has run once must do the same when it runs on another database,
so a step here never changes what it does: a different step is a new function.
Imported by migrations only, never by the application.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from alembic import op
from alembic.operations import BatchOperations


@contextmanager
def sqlite_foreign_keys_off() -> Iterator[None]:
    """Foreign keys off on SQLite while a table is rebuilt, then on again: with
    them on, dropping the old ``responses`` would cascade to every answer. The
    pragma only takes effect outside a transaction, so the one under way is
    committed first (the app's connections begin their own, even in autocommit
    mode)."""
    _sqlite_foreign_keys(on=False)
    yield
    _sqlite_foreign_keys(on=True)


def _sqlite_foreign_keys(on: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.dbapi_connection
    assert raw is not None  # noqa: S101  (a migration's connection is open)
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    raw.execute("BEGIN")


def allow_values(
    batch_op: BatchOperations,
    table: str,
    check: str,
    column: str,
    values: Iterable[str],
) -> None:
    """Replace the CHECK ``ck_<table>_<check>`` of an enum column by one that
    allows ``values`` (in a batch: SQLite rebuilds the table)."""
    batch_op.drop_constraint(op.f(f"ck_{table}_{check}"), type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    batch_op.create_check_constraint(check, f"{column} IN ({listed})")


def allow_only(table: str, check: str, column: str, values: Iterable[str]) -> None:
    """:func:`allow_values` in a batch of its own."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        allow_values(batch_op, table, check, column, values)
