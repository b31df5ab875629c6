"""Make a wave ``--times`` as large (default 10: the 100k demo → 1M) in seconds, by
copying its responses and their answers inside the database (INSERT … SELECT):
new ids and UUIDs, the same units, channels, times and answers. For benchmarks of
exports and statistics at a size the demo generator would take minutes to draw.

    SIPAS_DATABASE_URL=sqlite:////tmp/d.db .venv/bin/python benchmarks/big_wave.py
        [--wave demo] [--times 10] [--random-masks]

``--random-masks`` then gives every response of the wave random criteria masks
(answered, and satisfied among them: what the statistics read), so that nearly every
response has a pattern of its own, the statistics' worst case for memory. The
answer rows are left as they were: only the statistics and what they feed change.

Works on SQLite and PostgreSQL (the id sequence is moved past the copies). Only the
wave's responses and answers are copied (no paper entries, no events).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sipas.models import Answer, Response  # noqa: E402

#: Rows copied per statement on SQLite (short write transactions).
ANSWER_BATCH = 200_000


def new_uuid(dialect: str, new_id: sa.ColumnElement) -> sa.ColumnElement:
    """A fresh UUID per copied row (of its new id), in the form the column stores."""
    if dialect == "postgresql":
        text = sa.cast(Response.uuid, sa.Text) + ":" + sa.cast(new_id, sa.Text)
        return sa.cast(sa.func.md5(text), Response.uuid.type)
    return sa.func.lower(sa.func.hex(sa.func.randomblob(16)))


def answer_indexes(connection: sa.Connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the answers' secondary indexes."""
    if connection.dialect.name == "postgresql":
        query = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'answers'"
            " AND indexname NOT LIKE 'pk_%'"
        )
    else:
        query = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            " AND tbl_name = 'answers' AND sql IS NOT NULL"
        )
    return [(name, sql) for name, sql in connection.execute(sa.text(query))]


def copy_wave(connection: sa.Connection, wave_id: int, times: int) -> None:
    """Add ``times - 1`` copies of the wave's responses and answers."""
    span = connection.scalar(sa.select(sa.func.max(Response.id))) or 0
    low, high = connection.execute(
        sa.select(sa.func.min(Response.id), sa.func.max(Response.id)).where(
            Response.wave_id == wave_id
        )
    ).one()
    dialect = connection.dialect.name
    names = [c.name for c in Response.__table__.columns if c.name not in ("id", "uuid")]
    for copy in range(1, times):
        offset = copy * span
        started = time.perf_counter()
        connection.execute(
            sa.insert(Response).from_select(
                ["id", "uuid", *names],
                sa.select(
                    Response.id + offset,
                    new_uuid(dialect, Response.id + offset),
                    *[Response.__table__.c[n] for n in names],
                ).where(Response.wave_id == wave_id, Response.id <= span),
            )
        )
        for first in range(low, high + 1, ANSWER_BATCH // 30):
            last = min(first + ANSWER_BATCH // 30 - 1, high)
            connection.execute(
                sa.insert(Answer).from_select(
                    ["response_id", "item_code", "value"],
                    sa.select(
                        Answer.response_id + offset, Answer.item_code, Answer.value
                    )
                    .join(Response, Response.id == Answer.response_id)
                    .where(
                        Response.wave_id == wave_id,
                        Answer.response_id.between(first, last),
                    ),
                )
            )
            connection.commit()
        print(f"  copy {copy}: {time.perf_counter() - started:6.1f} s", flush=True)
    if dialect == "postgresql":
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('responses', 'id'), "
            "(SELECT max(id) FROM responses))"
        )
        connection.commit()


#: Criteria of the demo's questionnaire (sipas-2017): bits of the masks.
CRITERIA = 22


def randomise_masks(connection: sa.Connection, wave_id: int) -> None:
    """Random criteria masks for the wave's responses: each criterion answered
    with probability 7/8, and satisfied with probability 1/2 when answered."""
    every = (1 << CRITERIA) - 1
    draw = (
        "(abs(random()) % {n})"
        if connection.dialect.name == "sqlite"
        else "floor(random() * {n})::bigint"
    ).format(n=1 << CRITERIA)
    # names and numbers only: nothing from outside
    connection.exec_driver_sql(
        f"UPDATE responses SET criteria_answered = {every} & ~({draw} & {draw} & {draw}) "  # noqa: S608, E501
        f"WHERE wave_id = {int(wave_id)}"
    )
    connection.exec_driver_sql(
        f"UPDATE responses SET criteria_satisfied = criteria_answered & {draw} "  # noqa: S608
        f"WHERE wave_id = {int(wave_id)}"
    )
    connection.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--random-masks", action="store_true")
    args = parser.parse_args()
    url = os.environ["SIPAS_DATABASE_URL"]
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA journal_mode = WAL")
            connection.exec_driver_sql("PRAGMA synchronous = OFF")
        wave_id = connection.scalar(
            sa.text("SELECT id FROM waves WHERE code = :code"), {"code": args.wave}
        )
        if wave_id is None:
            raise SystemExit(f"no wave {args.wave!r}")
        # inserting into the item index row by row is what takes the time:
        # dropped during the copy, made again (one sort) after it
        indexes = answer_indexes(connection) if args.times > 1 else []
        for name, _sql in indexes:
            connection.exec_driver_sql(f"DROP INDEX {name}")
        connection.commit()
        copy_wave(connection, wave_id, args.times)
        if args.random_masks:
            randomise_masks(connection, wave_id)
        for _name, sql in indexes:
            connection.exec_driver_sql(sql)
        connection.commit()
        connection.exec_driver_sql("ANALYZE")  # the planner sees the new sizes
        connection.commit()
        total = connection.scalar(
            sa.select(sa.func.count()).where(Response.wave_id == wave_id)
        )
    seconds = time.perf_counter() - started
    print(f"wave {args.wave}: {total} responses now ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
