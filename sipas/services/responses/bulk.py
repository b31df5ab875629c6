"""Many responses and their answers written at the speed of the database.

Imports and the demo store tens of thousands of responses and millions of answer
rows in one transaction. Per row, an ORM object or even a Core parameter dict costs
more than the database's own work, so rows go to the driver as plain tuples:

- response ids are allocated up front in one query (PostgreSQL: the table's
  sequence; SQLite: after the largest id, inside the writing transaction), so
  answer rows need no query to find their response;
- values pass through each column's own SQLAlchemy bind processor, a column at a
  time, so they are stored exactly as a Core insert stores them;
- on PostgreSQL the rows are streamed with ``COPY … FROM STDIN``; elsewhere one
  ``executemany`` of tuples.

Nothing here commits: a failure leaves the caller's transaction to roll back whole.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from collections.abc import Iterable, Iterator, Mapping, Sequence

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Response

#: An answer row: (response id, item code, value).
AnswerRow = tuple[int, str, str]


def stored_waves(uuids: Sequence[uuid_module.UUID]) -> dict[uuid_module.UUID, int]:
    """The wave of each of ``uuids`` already stored, in one query however many."""
    if not uuids:
        return {}
    query = sa.select(Response.uuid, Response.wave_id).where(uuid_in(uuids))
    return {found: wave_id for found, wave_id in db.session.execute(query)}


def uuid_in(uuids: Sequence[uuid_module.UUID]) -> sa.ColumnElement[bool]:
    """SQL condition: the response's UUID is one of ``uuids``, with one parameter
    however many (SQLite: a JSON array; PostgreSQL: an array), where ``IN`` would
    take one each and stop at the driver's limit (65 535 on PostgreSQL)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        given = sa.bindparam("uuids", list(uuids), type_=ARRAY(sa.Uuid))
        return Response.uuid == sa.any_(given)
    # SQLite keeps a UUID as its 32 hex digits
    listed = json.dumps([value.hex for value in uuids])
    each: sa.Select = sa.select(sa.column("value")).select_from(
        sa.func.json_each(listed)
    )
    return Response.uuid.in_(each)


def allocate_ids(count: int) -> list[int]:
    """``count`` new response ids, in increasing order, in one query."""
    if count <= 0:
        return []
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        sequence = sa.text(
            "SELECT nextval(pg_get_serial_sequence('responses', 'id')) "
            "FROM generate_series(1, :n)"
        )
        return sorted(connection.execute(sequence, {"n": count}).scalars())
    last = connection.execute(sa.select(sa.func.max(Response.id))).scalar() or 0
    return list(range(last + 1, last + 1 + count))


def insert_responses(columns: Mapping[str, Sequence[object]]) -> list[int]:
    """Insert responses given column by column (name → one value per response);
    columns left out take their Python default. Returns the new ids, in order."""
    ids = allocate_ids(len(next(iter(columns.values()))))
    insert_columns(Response.__table__, {"id": ids, **columns})
    return ids


def insert_columns(table: sa.Table, columns: Mapping[str, Sequence[object]]) -> None:
    """Insert rows into ``table`` given column by column; columns left out take
    their Python default (the database's when they have none)."""
    size = len(next(iter(columns.values())))
    given = dict(columns)
    for column in table.columns:
        if column.name not in given and column.default is not None:
            given[column.name] = [_default(column)] * size
    _insert(table, {name: _bound(table.c[name], given[name]) for name in given})


def insert_answers(rows: Iterable[AnswerRow]) -> None:
    """Insert answer rows (plain strings and ints: no processing needed), read
    one at a time: a generator of millions costs no memory."""
    table = Answer.__table__
    _write(table.name, ("response_id", "item_code", "value"), rows)


def answer_rows(
    ids: Sequence[int], answers: Iterable[Mapping[str, str | tuple[str, ...]]]
) -> Iterator[AnswerRow]:
    """The answer rows of responses ``ids`` (a multi-choice answer: one per code)."""
    return (
        (response_id, code, value)
        for response_id, given in zip(ids, answers, strict=True)
        for code, answer in given.items()
        for value in ((answer,) if isinstance(answer, str) else answer)
    )


def _default(column: sa.Column) -> object:
    """The Python-side default of ``column``, evaluated once for the whole batch."""
    default = column.default
    if getattr(default, "is_callable", False):
        return default.arg(None)  # type: ignore[union-attr]
    return default.arg  # type: ignore[union-attr]


def _bound(column: sa.Column, values: Sequence[object]) -> list[object]:
    """``values`` as the driver receives them for ``column``."""
    dialect = db.session.get_bind().dialect
    # the dialect's own type (SQLite's DATETIME writes its text form)
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return list(values)
    return [None if value is None else process(value) for value in values]


def _insert(table: sa.Table, columns: Mapping[str, list[object]]) -> None:
    names = tuple(columns)
    _write(table.name, names, list(zip(*columns.values(), strict=True)))


def _write(table: str, names: Sequence[str], rows: Iterable[tuple]) -> None:
    """Rows of plain values into ``table``: COPY on PostgreSQL, else one
    executemany that reads the rows as it goes."""
    connection = db.session.connection()
    listed = ", ".join(names)
    # the DB-API connection of the session's transaction
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor().copy(f"COPY {table} ({listed}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    markers = ", ".join([marker] * len(names))
    # names come from the table definitions, never from outside input
    statement = f"INSERT INTO {table} ({listed}) VALUES ({markers})"  # noqa: S608
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(statement, rows)
    finally:
        cursor.close()
