"""Whole `flask sipas …` commands, before and after, in one run: the start-up every
command and worker pays (`flask sipas --help`), and the stats CSV of a round
(`flask sipas export WAVE --format csv`), on a database that already holds one
(`flask sipas demo --responses 100000`).

The two trees run in turns, each command ``--repeat`` times; the machine is
shared, so the minimum and the median of the wall and CPU seconds are printed,
and the ratio of the medians.

Run: SIPAS_DATABASE_URL=sqlite:////path/sipas.db .venv/bin/python
     benchmarks/command_start.py [--wave demo] [--before REV] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._server import database_given  # noqa: E402
from benchmarks._trees import PYTHON, Measured, export, measured, tree_env  # noqa: E402


def commands(wave: str, output: Path) -> dict[str, list[str]]:
    """What is timed, by name."""
    flask = [PYTHON, "-m", "flask", "sipas"]
    return {
        "start-up (flask sipas --help)": [*flask, "--help"],
        f"export {wave} --format csv": [
            *flask,
            "export",
            wave,
            "--format",
            "csv",
            "-o",
            str(output),
        ],
    }


def summary(runs: list[Measured]) -> str:
    """Min and median of the wall and CPU seconds."""
    walls, cpus = [r.wall for r in runs], [r.cpu for r in runs]
    return (
        f"wall min {min(walls):5.2f} median {statistics.median(walls):5.2f} s   "
        f"cpu min {min(cpus):5.2f} median {statistics.median(cpus):5.2f} s   "
        f"peak {max(r.peak_mb for r in runs):4.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--before", default="main")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    url = database_given("a database holding a round")
    with tempfile.TemporaryDirectory() as folder:
        trees = {
            "before": export(args.before, Path(folder) / "before"),
            "after": ROOT,
        }
        runs: dict[tuple[str, str], list[Measured]] = {}
        for _ in range(args.repeat):
            for label, tree in trees.items():
                output = Path(folder) / f"{label}.csv"
                for name, command in commands(args.wave, output).items():
                    runs.setdefault((name, label), []).append(
                        measured(command, tree_env(tree, url), tree)
                    )
        same = (Path(folder) / "before.csv").read_bytes() == (
            Path(folder) / "after.csv"
        ).read_bytes()
    print(f"{args.repeat} runs each, in turns; before = {args.before}")
    for name in commands(args.wave, Path()):
        print(name)
        for label in trees:
            print(f"  {label:<7} {summary(runs[name, label])}")
        before, after = (
            statistics.median(r.wall for r in runs[name, label]) for label in trees
        )
        print(f"  median wall after/before: {after / before:.2f}")
    print(f"same CSV bytes: {same}")


if __name__ == "__main__":
    main()
