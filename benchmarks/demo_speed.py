"""Time `flask sipas demo --responses N` before and after, in one run.

The "before" tree is a git revision (default ``main``) exported to a temporary
directory; both run the same virtualenv on a fresh database each, on SQLite and on
a throwaway PostgreSQL cluster. The machine is shared, so the CPU time (user +
system) of the command is printed beside the wall time, with its peak memory, and
the ratios. The command makes this year's N responses and last year's 0.7·N
(about 33 answer rows each), and the paper forms of the paper ones.

With ``--repeat K`` each tree runs K times, in turns (before, after, before …),
and the run of median wall time of each is printed: one run each differed by up to
0.7 s either way on this machine.

Run: .venv/bin/python benchmarks/demo_speed.py [--responses 100000]
     [--before main] [--after HEAD] [--databases sqlite postgresql] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _trees as runs  # noqa: E402


def timed_demo(tree: Path, url: str, responses: int) -> runs.Measured:
    """The demo command's figures on a fresh, migrated database."""
    env = runs.tree_env(tree, url)
    flask = [runs.PYTHON, "-m", "flask"]
    runs.measured([*flask, "db", "upgrade"], env, tree)
    runs.measured([*flask, "sipas", "questionnaire", "sync"], env, tree)
    return runs.measured(
        [*flask, "sipas", "demo", "--responses", str(responses)], env, tree
    )


def median_run(found: list[runs.Measured]) -> runs.Measured:
    """The run of median wall time (the lower middle one of an even count)."""
    ordered = sorted(found, key=lambda run: run.wall)
    return ordered[(len(ordered) - 1) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--before", default="main")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, in turns")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="demo-speed-") as temp,
        ExitStack() as stack,
    ):
        workdir = Path(temp)
        trees = {
            name: runs.export(revision, workdir / name)
            for name, revision in (("before", args.before), ("after", args.after))
        }
        databases = runs.Databases(workdir, stack)
        for kind in args.databases:
            runs_of: dict[str, list[runs.Measured]] = {name: [] for name in trees}
            for _turn in range(args.repeat):
                for name, tree in trees.items():
                    url = databases.fresh(kind)
                    runs_of[name].append(timed_demo(tree, url, args.responses))
            times = {name: median_run(found) for name, found in runs_of.items()}
            print(f"flask sipas demo --responses {args.responses} ({kind})")
            if args.repeat > 1:
                for name, found in runs_of.items():
                    walls = ", ".join(f"{run.wall:.1f}" for run in found)
                    print(f"  {name:<8} runs {walls} s (median below)")
            for name, figures in times.items():
                print(figures.line(name))
            before, after = times["before"], times["after"]
            print(
                f"  ratio    wall {before.wall / after.wall:6.1f}×   "
                f"cpu {before.cpu / after.cpu:6.1f}×",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
