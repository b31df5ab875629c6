"""What the database itself costs to store and read a round's answers in the long
format of DESIGN §3 (one row per response and item, keyed (response, item, value),
with the (item, response, value) index the GROUP BYs use) — the floor under any
import, demo or export, whatever Python does around it.

No application code: N responses of 33 answers (3.3M rows at 100k), inserted in key
order in one transaction, on a scratch SQLite file (one ``executemany`` of tuples)
and on a throwaway PostgreSQL cluster (one ``COPY``). Variants show what the
foreign key to the responses (the application's table has one, ON DELETE CASCADE),
the index and, on SQLite, the WITHOUT ROWID layout cost; one SQLite variant makes
the index after the rows, as an import into a new installation does
(``indexes_built_after``). CPU seconds of this process
beside wall on SQLite; on PostgreSQL the work is the server's.

Run: .venv/bin/python benchmarks/answers_floor.py [--responses 100000]
         [--databases sqlite postgresql]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ITEMS = [f"A{k}" for k in range(1, 26)] + [f"Q{k}" for k in range(1, 9)]
KEY = ", PRIMARY KEY (response_id, item_code, value)"
INDEX = (
    "CREATE INDEX ix_answers_item_response ON answers (item_code, response_id, value)"
)
REFERENCE = " REFERENCES responses (id) ON DELETE CASCADE"

#: name → (foreign key, the end of ``CREATE TABLE answers (…``, statements before
#: the rows, statements after them in the same transaction)
Variant = tuple[bool, str, tuple[str, ...], tuple[str, ...]]
WITHOUT_ROWID = f"{KEY}) WITHOUT ROWID"
SQLITE: dict[str, Variant] = {
    "as stored (key + index + foreign key)": (True, WITHOUT_ROWID, (INDEX,), ()),
    # what an import into a new installation does (indexes_built_after)
    "key + foreign key, index made after": (True, WITHOUT_ROWID, (), (INDEX,)),
    "key + index, no foreign key": (False, WITHOUT_ROWID, (INDEX,), ()),
    "key only (no index)": (False, WITHOUT_ROWID, (), ()),
    "heap (no key, no index)": (False, ")", (), ()),
}
POSTGRESQL: dict[str, Variant] = {
    "as stored (key + index + foreign key)": (True, f"{KEY})", (INDEX,), ()),
    "key + index, no foreign key": (False, f"{KEY})", (INDEX,), ()),
    "key only (no index)": (False, f"{KEY})", (), ()),
}


def timed(work: Callable[[], None]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def answers_table(foreign_key: bool, rest: str) -> str:
    """The answers table's CREATE statement."""
    reference = REFERENCE if foreign_key else ""
    return (
        f"CREATE TABLE answers (response_id INTEGER NOT NULL{reference}, "
        f"item_code VARCHAR(40) NOT NULL, value TEXT NOT NULL{rest}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    draw = random.Random(1)
    rows = [
        (response, item, str(draw.randint(1, 5)))
        for response in range(1, args.responses + 1)
        for item in sorted(ITEMS)
    ]
    print(f"{len(rows):,} answer rows ({args.responses:,} responses × {len(ITEMS)})")
    if "sqlite" in args.databases:
        on_sqlite(rows, args.responses)
    if "postgresql" in args.databases:
        on_postgresql(rows, args.responses)


def on_sqlite(rows: list[tuple[int, str, str]], responses: int) -> None:
    """Each variant on a scratch file, in WAL mode as the application runs."""
    print("SQLite (executemany)")
    with tempfile.TemporaryDirectory() as folder:
        for number, (name, variant) in enumerate(SQLITE.items()):
            foreign_key, rest, before, after = variant
            path = Path(folder) / f"{number}.db"
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("CREATE TABLE responses (id INTEGER PRIMARY KEY)")
            connection.executemany(
                "INSERT INTO responses VALUES (?)",
                ((k,) for k in range(1, responses + 1)),
            )
            for statement in (answers_table(foreign_key, rest), *before):
                connection.execute(statement)

            def insert(connection=connection, after=after) -> None:
                connection.execute("BEGIN")
                connection.executemany("INSERT INTO answers VALUES (?, ?, ?)", rows)
                for statement in after:
                    connection.execute(statement)
                connection.execute("COMMIT")

            wall, cpu = timed(insert)
            per_row = cpu / len(rows) * 1e6
            figures = f"{wall:6.2f} s (cpu {cpu:6.2f} s, {per_row:.1f} µs a row)"
            print(f"  insert, {name:38} {figures}")
            if number == 0:
                read_back(connection, responses)
            connection.close()


def on_postgresql(rows: list[tuple[int, str, str]], responses: int) -> None:
    """Each variant in a fresh table of a throwaway cluster, copied in one
    transaction."""
    import psycopg

    from tests.pg_cluster import throwaway_cluster

    print("PostgreSQL (COPY)")
    with throwaway_cluster() as url:
        plain_url = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain_url, autocommit=True) as connection:
            for name, (foreign_key, rest, more, _after) in POSTGRESQL.items():
                connection.execute("DROP TABLE IF EXISTS answers, responses")
                connection.execute("CREATE TABLE responses (id integer PRIMARY KEY)")
                connection.execute(
                    "INSERT INTO responses SELECT generate_series(1, %s)", (responses,)
                )
                for statement in (answers_table(foreign_key, rest), *more):
                    connection.execute(statement)

                def copy(connection=connection) -> None:
                    with connection.transaction():
                        statement = "COPY answers FROM STDIN"
                        with connection.cursor().copy(statement) as copying:
                            for row in rows:
                                copying.write_row(row)

                wall, _cpu = timed(copy)
                print(f"  copy, {name:40} {wall:6.2f} s")


def read_back(connection: sqlite3.Connection, responses: int) -> None:
    """Every answer read as rows, and joined per response by SQLite."""
    queries = {
        "read rows": "SELECT response_id, item_code, value FROM answers "
        "WHERE response_id BETWEEN ? AND ? ORDER BY response_id, item_code, value",
        "read joined per response": "SELECT response_id, group_concat(item_code, "
        "char(30)), group_concat(value, char(30)) FROM answers "
        "WHERE response_id BETWEEN ? AND ? GROUP BY response_id",
    }
    for name, query in queries.items():

        def read(query=query) -> None:
            for first in range(1, responses + 1, 2000):
                connection.execute(query, (first, first + 1999)).fetchall()

        wall, cpu = timed(read)
        print(f"  {name:46} {wall:6.2f} s (cpu {cpu:6.2f} s)")


if __name__ == "__main__":
    main()
