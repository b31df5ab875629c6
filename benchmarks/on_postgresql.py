"""Run benchmarks on a throwaway PostgreSQL cluster holding the demo round: the
demo drawn with ``--responses N``, each benchmark run, then the round made
``--times`` as large (benchmarks/big_wave.py) and each benchmark run again.

    .venv/bin/python benchmarks/on_postgresql.py [--responses 100000] [--times 10]
        [--run "benchmarks/export_speed.py --formats csv"] [--run ...]

(default runs: export_speed.py and shares_speed.py). The cluster is removed after.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._server import app_env  # noqa: E402
from benchmarks._trees import PYTHON  # noqa: E402
from tests.pg_cluster import running_cluster  # noqa: E402

DEFAULT_RUNS = ["benchmarks/export_speed.py", "benchmarks/shares_speed.py"]


def run(env: dict[str, str], *args: str) -> None:
    """A command in the project folder on the cluster, its output passed on."""
    print("$", " ".join(args), flush=True)
    subprocess.run([PYTHON, *args], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument(
        "--demo-times",
        type=int,
        default=1,
        help="draw responses/demo-times and multiply (the demo's paper step"
        " fails on PostgreSQL past 65,535 responses: one IN parameter each)",
    )
    parser.add_argument("--run", action="append", help="benchmark at both sizes")
    parser.add_argument("--small", action="append", help="only before multiplying")
    parser.add_argument("--large", action="append", help="only after multiplying")
    args = parser.parse_args()
    both = [shlex.split(command) for command in args.run or DEFAULT_RUNS]
    small = both + [shlex.split(command) for command in args.small or []]
    large = both + [shlex.split(command) for command in args.large or []]
    with running_cluster(options="-c fsync=off -c synchronous_commit=off") as cluster:
        env = app_env(cluster.url)
        started = time.perf_counter()
        run(env, "-m", "flask", "db", "upgrade")
        run(env, "-m", "flask", "sipas", "questionnaire", "sync")
        drawn = args.responses // args.demo_times
        run(env, "-m", "flask", "sipas", "demo", "--responses", str(drawn))
        run(env, "benchmarks/big_wave.py", "--times", str(args.demo_times))
        print(f"demo loaded in {time.perf_counter() - started:.0f} s", flush=True)
        for command in small:
            run(env, *command)
        if args.times > 1:
            run(env, "benchmarks/big_wave.py", "--times", str(args.times))
            for command in large:
                run(env, *command)


if __name__ == "__main__":
    main()
