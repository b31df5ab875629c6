"""Many responses and their answers written at the speed of the database.

Imports and the demo store tens of thousands of responses and millions of answer
rows in one transaction. Per row, an ORM object or even a Core parameter dict costs
more than the database's own work, so rows go to the driver as plain tuples:

- response ids are allocated up front in one query (PostgreSQL: the table's
  sequence; SQLite: after the largest id, inside the writing transaction), so
  answer rows need no query to find their response;
- values pass through each column's own SQLAlchemy bind processor, a column at a
  time, so they are stored exactly as a Core insert stores them; a caller that
  makes its batches in another thread binds them there too (``driver_rows``);
- on PostgreSQL the rows are streamed with ``COPY … FROM STDIN``; elsewhere one
  ``executemany`` of tuples;
- answers travel as JSON objects, one or two per response (``packed_answers``),
  which SQLite itself spreads into answer rows: a driver call per response
  instead of one per answer (33 or more), its JSON functions at C speed;
- on SQLite, other rows go through a staging table (``_write_staged``);
- on SQLite, a write that adds over three times the responses the database holds
  makes the indexes of responses and answers once, at its end
  (``indexes_built_after``).

Nothing here commits: a failure leaves the caller's transaction to roll back whole.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from collections.abc import (
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Response


def stored_waves(uuids: Sequence[uuid_module.UUID]) -> dict[str, int]:
    """The wave of each of ``uuids`` already stored, by the UUID's 32 hex digits,
    in one query however many (none when the database holds no response: the
    first import of an installation looks no further)."""
    if not uuids or not any_stored():
        return {}
    # each UUID as the driver gives it (SQLite: its hex digits, PostgreSQL: a UUID),
    # not made a UUID object by SQLAlchemy: 0.4 s of a file of 100 000 stored rows
    as_given = sa.type_coerce(Response.uuid, sa.String)
    # the ids first, from the UUIDs' index alone, then their rows in id order: the
    # table read along, not at random (0.24 -> 0.15 s for 100 000 stored UUIDs)
    matching = sa.select(Response.id).where(uuid_in(uuids))
    query = sa.select(as_given, Response.wave_id).where(Response.id.in_(matching))
    return {
        found if isinstance(found, str) else found.hex: wave_id
        for found, wave_id in db.session.execute(query)
    }


def any_stored() -> bool:
    """True when the database holds a response, of any round."""
    return db.session.scalar(sa.select(Response.id).limit(1)) is not None


def uuid_in(uuids: Sequence[uuid_module.UUID]) -> sa.ColumnElement[bool]:
    """SQL condition: the response's UUID is one of ``uuids``, with one parameter
    however many (SQLite: a JSON array; PostgreSQL: an array), where ``IN`` would
    take one each and stop at the driver's limit (65 535 on PostgreSQL)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        given = sa.bindparam("uuids", list(uuids), type_=ARRAY(sa.Uuid))
        return Response.uuid == sa.any_(given)
    # SQLite keeps a UUID as its 32 hex digits
    listed = json.dumps(sorted(value.hex for value in uuids))
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


#: The tables whose indexes ``indexes_built_after`` builds at the end of a write.
INDEXED_AFTER = ("responses", "answers")
#: ``indexes_built_after`` drops the indexes when the database holds fewer than
#: 1/REBUILD_SHARE of the rows a write adds. Making an index again costs about
#: 0.42 µs an answer row, over all rows; growing it 0.56 µs a new row: even at a
#: third the rebuild only just pays.
REBUILD_SHARE = 3


@contextmanager
def indexes_built_after(adding: int) -> Iterator[None]:
    """Around a write of ``adding`` new responses and their answers: on SQLite,
    when the database holds few responses beside them, the secondary indexes of
    responses and answers are dropped for the write and made again as it ends,
    one sort per index instead of a B-tree insert per row (the first import into
    a new installation, the demo). Other indexes are kept; so is everything on
    PostgreSQL (its DROP INDEX would lock the table against readers) or when the
    database already holds more responses. Within the caller's transaction: a
    rollback restores the indexes with the rows."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite" or not _holds_few_responses(adding):
        yield
        return
    dropped: list[tuple[str, str]] = []
    for table in INDEXED_AFTER:
        # the statements as the database holds them (a partial index keeps its
        # WHERE); indexes of a key or a UNIQUE constraint have none and stay
        query = sa.text(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL"
        )
        found = connection.execute(query, {"table": table})
        dropped += [(name, statement) for name, statement in found]
    for name, _ in dropped:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    made_again = True
    try:
        yield
    except KeyboardInterrupt:
        # the command stops and rolls back, which restores the indexes: making
        # them over the rows written so far would only hold the stop up
        made_again = False
        raise
    finally:
        # unless the transaction is over: SQLite ended it itself (a full disk), or
        # SQLAlchemy let the connection go (Ctrl+C in a statement); its rollback
        # restored the indexes already
        if made_again and _still_writing(connection):
            _create_sorted(connection, [statement for _, statement in dropped])


def _still_writing(connection: sa.Connection) -> bool:
    """True while ``connection``'s transaction is alive."""
    if connection.invalidated:
        return False
    return bool(connection.connection.driver_connection.in_transaction)  # type: ignore[union-attr]


#: Helper threads SQLite may sort with while it makes an index again (PRAGMA
#: threads): 5.6M answer rows took 1.97 s with 2 instead of 2.41 s with none.
SORT_THREADS = 2


def _create_sorted(connection: sa.Connection, statements: Sequence[str]) -> None:
    """Run CREATE INDEX ``statements`` with SQLite's sorter on helper threads,
    then give the connection back its own setting (unless it was let go: Ctrl+C
    in a statement, whose rollback restores the indexes)."""
    before = connection.exec_driver_sql("PRAGMA threads").scalar()
    connection.exec_driver_sql(f"PRAGMA threads = {SORT_THREADS}")
    try:
        for statement in statements:
            connection.exec_driver_sql(statement)
    finally:
        if not connection.invalidated:
            connection.exec_driver_sql(f"PRAGMA threads = {int(before or 0)}")


def _holds_few_responses(adding: int) -> bool:
    """True when the responses table holds fewer than a third of ``adding``
    rows (counted no further than that): below it, making the indexes again over
    every row costs less than growing them a row at a time."""
    limit = adding // REBUILD_SHARE
    some = sa.select(Response.id).limit(limit).subquery()
    counted = sa.select(sa.func.count()).select_from(some)
    return (db.session.connection().execute(counted).scalar() or 0) < limit


#: Rows stored at a time on SQLite (see chunk_rows).
SQLITE_CHUNK = 5000


def chunk_rows(count: int) -> int:
    """How many of ``count`` rows to store at a time. SQLite: a few thousand, so
    that Python makes the next chunk while SQLite spreads one (sipas/ahead.py).
    PostgreSQL: all, in one COPY: the server stores rows as they stream in, in its
    own process, beside this one; each COPY's end waits for it to catch up (an
    import of 100 000 rows in chunks of 5 000 took 5 s more)."""
    if db.session.connection().dialect.name == "postgresql":
        return max(count, 1)
    return SQLITE_CHUNK


def insert_responses(columns: Mapping[str, Sequence[object]] | DriverRows) -> list[int]:
    """Insert responses given column by column (name → one value per response, or
    :func:`driver_rows` made beforehand); columns left out take their Python
    default. Returns the new ids, in order."""
    if isinstance(columns, DriverRows):
        rows = columns
    else:
        rows = driver_rows(Response.__table__, columns, dialect())
    ids = allocate_ids(rows.size)
    _insert(rows.table, {"id": list(ids), **rows.columns})
    return ids


def insert_columns(table: sa.Table, columns: Mapping[str, Sequence[object]]) -> None:
    """Insert rows into ``table`` given column by column; columns left out take
    their Python default (the database's when they have none)."""
    rows = driver_rows(table, columns, dialect())
    _insert(rows.table, rows.columns)


@dataclass(frozen=True)
class DriverRows:
    """Rows of ``table`` column by column, each value as the driver takes it."""

    table: sa.Table
    #: Column name → one driver value per row (the Python defaults filled in).
    columns: dict[str, list[object]]
    #: How many rows.
    size: int


def driver_rows(
    table: sa.Table, columns: Mapping[str, Sequence[object]], on: sa.Dialect
) -> DriverRows:
    """``columns`` (name → one value per row) as the driver of dialect ``on``
    takes them, the Python defaults of the columns left out filled in. Reads
    nothing from the database or the session: it may run in another thread, beside
    the database's work on the rows before (sipas/ahead.py)."""
    size = len(next(iter(columns.values())))
    bound = {name: _bound(table.c[name], given, on) for name, given in columns.items()}
    for column in table.columns:
        if column.name not in bound and column.default is not None:
            bound[column.name] = _bound(column, [_default(column)], on) * size
    return DriverRows(table, bound, size)


def dialect() -> sa.Dialect:
    """The dialect of the session's database (for :func:`driver_rows`)."""
    return db.session.get_bind().dialect


#: A response's answers for :func:`insert_answers`: its id, its single answers as
#: a JSON object (code → value), its multiple choices as another (code → option
#: codes), or None when it has none.
PackedAnswers = tuple[int, str, str | None]
#: A response's answers packed, without its id (its id is known once it is stored).
AnswerObjects = tuple[str, str | None]


def insert_answers(
    answers: Iterable[PackedAnswers], meanwhile: Callable[[], None] | None = None
) -> None:
    """Insert the answers of new responses, read one at a time (an empty choice
    stores nothing). ``meanwhile`` is called as the database's long work on them
    begins: on SQLite once they are read, before they are spread; on PostgreSQL
    before COPY reads them (its server stores the rows in a process of its own).
    Work it hands to another thread then runs beside it (sipas/ahead.py).

    SQLite: they go to a temporary table, and two statements spread them into
    answer rows, the single answers, then each chosen option. PostgreSQL: the
    rows are made here and copied: COPY's batched insert is faster there than the
    server spreading the objects (import of 100 000 responses 27.4 against 29.5 s,
    demo 46.1 against 51.2 s)."""
    connection = db.session.connection()
    columns = ("response_id", "item_code", "value")
    if connection.dialect.name == "postgresql":
        if meanwhile is not None:
            meanwhile()
        _write("answers", columns, _answer_rows(answers))
        return
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE packed_answers (response_id, answers, choices)"
    )
    _write("packed_answers", ("response_id", "answers", "choices"), answers)
    if meanwhile is not None:
        meanwhile()
    for statement in SPREAD_SQLITE:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("DROP TABLE packed_answers")


def _answer_rows(answers: Iterable[PackedAnswers]) -> Iterator[tuple[int, str, str]]:
    """The (response id, item code, value) rows of packed answers."""
    decode = json.loads
    for response_id, single, chosen in answers:
        for code, value in decode(single).items():
            yield response_id, code, value
        if chosen is not None:
            for code, options in decode(chosen).items():
                for option in options:
                    yield response_id, code, option


def answer_objects(
    answers: Iterable[Mapping[str, str | tuple[str, ...]]], multiple: Collection[str]
) -> Iterator[AnswerObjects]:
    """Each response's answers as :func:`insert_answers` takes them, without the
    response's id, made as they are read; ``multiple``: the codes of the
    multiple-choice questions."""
    for given in answers:
        single = dict(given)
        chosen = {code: single.pop(code) for code in multiple if code in single}
        yield answers_json(single), answers_json(chosen) if chosen else None


def answers_json(answers: Mapping[str, str | tuple[str, ...]]) -> str:
    """Answers as a JSON object, compact, Vietnamese as it is (SQLite's JSON
    functions read UTF-8 directly)."""
    return _JSON.encode(answers)


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

_INTO_ANSWERS = "INSERT INTO answers (response_id, item_code, value) "
#: In the table's order: the packed rows by response, the answers as given, so
#: both of the table's B-trees grow at their ends.
SPREAD_SQLITE = (
    _INTO_ANSWERS + "SELECT p.response_id, a.key, a.value "
    "FROM packed_answers AS p, json_each(p.answers) AS a",
    _INTO_ANSWERS + "SELECT p.response_id, a.key, o.value "
    "FROM packed_answers AS p, json_each(p.choices) AS a, json_each(a.value) AS o "
    "WHERE p.choices IS NOT NULL",
)


def _default(column: sa.Column) -> object:
    """The Python-side default of ``column``, evaluated once for the whole batch."""
    default = column.default
    if getattr(default, "is_callable", False):
        return default.arg(None)  # type: ignore[union-attr]
    return default.arg  # type: ignore[union-attr]


def _bound(column: sa.Column, values: Sequence[object], on: sa.Dialect) -> list[object]:
    """``values`` as the driver of dialect ``on`` receives them for ``column``: a
    value that is the same object as the row before's is processed once (a
    column's one value, a form's answers typed twice alike), bytes go as they
    are (both drivers store them as the processor's wrapper would)."""
    # the dialect's own type (SQLite's DATETIME writes its text form)
    process = column.type.dialect_impl(on).bind_processor(on)
    if process is None or _all_bytes(column, values):
        return list(values)
    first = values[0] if len(values) else None
    if first is not None and all(value is first for value in values):
        return [process(first)] * len(values)
    bound: list[object] = []
    before, made = None, None
    for value in values:
        if value is not before:
            before, made = value, None if value is None else process(value)
        bound.append(made)
    return bound


def _all_bytes(column: sa.Column, values: Sequence[object]) -> bool:
    """True when ``column`` holds bytes and each of ``values`` is bytes or None:
    then the driver takes them as they are."""
    if not isinstance(column.type, sa.LargeBinary):
        return False
    return all(value is None or type(value) is bytes for value in values)


def update_columns(
    table: sa.Table, key: str, columns: Mapping[str, Sequence[object]]
) -> None:
    """Set the other ``columns`` of the rows whose ``key`` column holds each value
    of ``columns[key]``: one UPDATE … FROM a temporary table of the new values,
    not a statement per row (21 000 paper responses of the demo: 0.14 s)."""
    rows = driver_rows(table, columns, dialect())
    names = tuple(columns)
    connection = db.session.connection()
    staged, listed = f"changed_{table.name}", ", ".join(names)
    # names come from the table definitions, never from outside input
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {staged} AS SELECT {listed} FROM {table.name} "  # noqa: S608
        "WHERE 1 = 0"
    )
    _write(staged, names, list(zip(*(rows.columns[n] for n in names), strict=True)))
    assigned = ", ".join(f"{name} = {staged}.{name}" for name in names if name != key)
    connection.exec_driver_sql(
        f"UPDATE {table.name} SET {assigned} FROM {staged} "  # noqa: S608
        f"WHERE {table.name}.{key} = {staged}.{key}"
    )
    connection.exec_driver_sql(f"DROP TABLE {staged}")


def _insert(table: sa.Table, columns: Mapping[str, list[object]]) -> None:
    names = tuple(columns)
    rows = list(zip(*columns.values(), strict=True))
    if db.session.connection().dialect.name == "postgresql":
        _write(table.name, names, rows)
    else:
        _write_staged(table.name, names, rows)


def _write_staged(table: str, names: Sequence[str], rows: Iterable[tuple]) -> None:
    """Rows into a SQLite ``table`` through a temporary table of untyped columns,
    then one INSERT … SELECT: the values reach ``table`` as bound, its own types
    and constraints apply once per statement. A CHECK (x IN (…)) of more than two
    values makes a lookup table each time a statement runs, and an executemany
    runs one per row: 100 000 responses straight in took 2 s more."""
    connection = db.session.connection()
    staged, listed = f"staged_{table}", ", ".join(names)
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {staged} ({listed})")
    _write(staged, names, rows)
    # names come from the table definitions, never from outside input
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {staged} ORDER BY rowid"  # noqa: S608
    )
    connection.exec_driver_sql(f"DROP TABLE {staged}")


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
