"""Time `flask sipas import` of a large stats CSV before and after, in one run.

The input is the demo's own CSV export (``--csv``; without it, the demo is made
with ``--rows`` responses on a scratch SQLite file and exported). Each tree (the
"before" revision, default ``main``, exported to a temporary folder, and this
tree) gets a fresh database with the demo's units and wave and no responses, on
SQLite and on a throwaway PostgreSQL cluster, then runs three imports, each a
whole process as a user runs it:

- a file with one bad row at its end: the whole file checked, nothing stored;
- the clean file: checked and stored;
- the clean file again: every row already imported, nothing stored.

Wall and CPU seconds and peak memory of each; the machine is shared, so CPU time
is the steadier figure.

Run: .venv/bin/python benchmarks/import_speed.py [--csv FILE | --rows 100000]
     [--before main] [--after HEAD] [--databases sqlite postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._trees import (  # noqa: E402
    PYTHON,
    ROOT,
    Databases,
    Measured,
    export,
    measured,
    tree_env,
)

FLASK = [PYTHON, "-m", "flask"]
#: A last row with a response_id and nothing else: no unit, required answers missing.
BAD_ROW = b"ffffffff-0000-4000-8000-000000000000,7\n"


def demo_csv(rows: int, workdir: Path) -> Path:
    """The CSV export of a demo of ``rows`` responses, made with this tree."""
    env = tree_env(ROOT, f"sqlite:///{workdir / 'source.db'}")
    for command in (
        ["db", "upgrade"],
        ["sipas", "questionnaire", "sync"],
        ["sipas", "demo", "--responses", str(rows)],
        ["sipas", "export", "demo", "--format", "csv", "-o", str(workdir / "in.csv")],
    ):
        measured([*FLASK, *command], env, ROOT)
    return workdir / "in.csv"


def timed_imports(tree: Path, url: str, files: dict[str, Path]) -> dict:
    """The three imports' figures on a fresh database holding the demo's wave."""
    env = tree_env(tree, url)
    measured([*FLASK, "db", "upgrade"], env, tree)
    measured([*FLASK, "sipas", "questionnaire", "sync"], env, tree)
    measured([*FLASK, "sipas", "demo", "--responses", "0"], env, tree)

    def run(path: Path, refused: bool = False) -> Measured:
        args = [*FLASK, "sipas", "import", "demo", str(path)]
        return measured(args, env, tree, refused=refused)

    return {
        "bad last row": run(files["broken"], refused=True),
        "store": run(files["clean"]),
        "again": run(files["clean"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--before", default="main")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="import-speed-") as temp,
        ExitStack() as stack,
    ):
        workdir = Path(temp)
        clean = args.csv or demo_csv(args.rows, workdir)
        broken = workdir / "broken.csv"
        broken.write_bytes(clean.read_bytes().rstrip(b"\n") + b"\n" + BAD_ROW)
        rows = clean.read_bytes().count(b"\n") - 1
        files = {"clean": clean, "broken": broken}
        trees = {
            name: export(revision, workdir / name)
            for name, revision in (("before", args.before), ("after", args.after))
        }
        databases = Databases(workdir, stack)
        for kind in args.databases:
            print(f"flask sipas import demo FILE: {rows:,} rows ({kind})", flush=True)
            figures = {
                name: timed_imports(tree, databases.fresh(kind), files)
                for name, tree in trees.items()
            }
            for step in figures["after"]:
                print(f" {step}")
                for name in trees:
                    print(figures[name][step].line(name))
                before, after = figures["before"][step], figures["after"][step]
                print(
                    f"  ratio    wall {before.wall / after.wall:6.1f}×   "
                    f"cpu {before.cpu / after.cpu:6.1f}×",
                    flush=True,
                )


if __name__ == "__main__":
    main()
