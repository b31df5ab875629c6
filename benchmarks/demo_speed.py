"""Time `flask sipas demo --responses N` before and after, in one run.

The "before" tree is a git revision (default ``main``) exported to a temporary
directory; both run the same virtualenv on a fresh SQLite file each. The machine
is shared, so the CPU time (user + system) of the command is printed beside the
wall time, and their ratios.

Run: .venv/bin/python benchmarks/demo_speed.py [--responses 100000] [--before main]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def export(revision: str, into: Path) -> Path:
    """The tree of ``revision`` under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def flask(tree: Path, database: Path, *args: str) -> tuple[float, float]:
    """Run a flask command in ``tree``: (wall seconds, CPU seconds)."""
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": f"sqlite:///{database}",
        "FLASK_APP": "sipas",
        "PYTHONPATH": str(tree),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [PYTHON, "-m", "flask", *args],
        cwd=tree,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def timed_demo(tree: Path, responses: int, workdir: Path) -> tuple[float, float]:
    """The demo command's times on a fresh, migrated database."""
    database = workdir / f"{tree.name}.db"
    flask(tree, database, "db", "upgrade")
    flask(tree, database, "sipas", "questionnaire", "sync")
    return flask(tree, database, "sipas", "demo", "--responses", str(responses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--before", default="main")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="demo-speed-") as temp:
        workdir = Path(temp)
        (workdir / "before").mkdir()
        trees = {"before": export(args.before, workdir / "before"), "after": ROOT}
        times = {
            name: timed_demo(tree, args.responses, workdir)
            for name, tree in trees.items()
        }
    print(f"flask sipas demo --responses {args.responses} (SQLite)")
    for name, (wall, cpu) in times.items():
        print(f"  {name:6} wall {wall:6.1f} s   cpu {cpu:6.1f} s")
    (wall0, cpu0), (wall1, cpu1) = times["before"], times["after"]
    print(f"  ratio  wall {wall0 / wall1:5.1f}×   cpu {cpu0 / cpu1:5.1f}×")


if __name__ == "__main__":
    sys.exit(main())
