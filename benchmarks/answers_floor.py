"""What SQLite itself costs to store and read a round's answers in the long format
of DESIGN §3 (one row per response and item, keyed (response, item, value), with
the (item, response, value) index the GROUP BYs use) — the floor under any import,
demo or export, whatever Python does around it.

Plain ``sqlite3`` on a scratch file, no application code: N responses of 33
answers (3.3M rows at 100k), inserted in key order in one transaction by one
``executemany`` of tuples, then read back. Variants show what the index and the
WITHOUT ROWID layout cost. CPU seconds beside wall: the machine is shared.

Run: .venv/bin/python benchmarks/answers_floor.py [--responses 100000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path

ITEMS = [f"A{k}" for k in range(1, 26)] + [f"Q{k}" for k in range(1, 9)]
TABLE = {
    "as stored (key + index)": (
        "CREATE TABLE answers (response_id INTEGER NOT NULL, item_code VARCHAR(40) "
        "NOT NULL, value TEXT NOT NULL, PRIMARY KEY (response_id, item_code, value)) "
        "WITHOUT ROWID",
        "CREATE INDEX ix_answers_item_response "
        "ON answers (item_code, response_id, value)",
    ),
    "key only (no index)": (
        "CREATE TABLE answers (response_id INTEGER NOT NULL, item_code VARCHAR(40) "
        "NOT NULL, value TEXT NOT NULL, PRIMARY KEY (response_id, item_code, value)) "
        "WITHOUT ROWID",
    ),
    "heap (no key, no index)": (
        "CREATE TABLE answers (response_id INTEGER NOT NULL, item_code VARCHAR(40) "
        "NOT NULL, value TEXT NOT NULL)",
    ),
}


def timed(work) -> tuple[float, float]:
    """(wall, CPU) seconds of ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    args = parser.parse_args()
    draw = random.Random(1)
    rows = [
        (response, item, str(draw.randint(1, 5)))
        for response in range(1, args.responses + 1)
        for item in sorted(ITEMS)
    ]
    print(f"{len(rows):,} answer rows ({args.responses:,} responses × {len(ITEMS)})")
    with tempfile.TemporaryDirectory() as folder:
        for name, statements in TABLE.items():
            path = Path(folder) / f"{len(statements)}-{name[:3]}.db"
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            for statement in statements:
                connection.execute(statement)

            def insert(connection=connection) -> None:
                connection.execute("BEGIN")
                connection.executemany("INSERT INTO answers VALUES (?, ?, ?)", rows)
                connection.execute("COMMIT")

            wall, cpu = timed(insert)
            per_row = cpu / len(rows) * 1e6
            figures = f"{wall:6.2f} s (cpu {cpu:6.2f} s, {per_row:.1f} µs a row)"
            print(f"  insert, {name:24} {figures}")
            if len(statements) > 1:
                read_back(connection, args.responses)
            connection.close()


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
        print(f"  {name:32} {wall:6.2f} s (cpu {cpu:6.2f} s)")


if __name__ == "__main__":
    main()
