"""What the allocators of large arrays cost: the same work as before (NumPy asking
for transparent huge pages, NUMPY_MADVISE_HUGEPAGE=1, its default on Linux 4.6 and
newer; Arrow's own jemalloc, ARROW_DEFAULT_MEMORY_POOL=jemalloc) and as now
(`sipas/__init__.py` sets 0 and "system"), in turns, each run a fresh process.

(a) `sipas-stats` on a stats CSV of ``--rows`` rows (bench_stats' synthetic data:
    34 strata, 250 PSUs, 22 criteria);
(b) with SIPAS_DATABASE_URL set, the results of the round ``--wave`` as the
    dashboard computes them (`compute_results`), e.g. on a copy of the 1.07 M round
    of `benchmarks/big_wave.py`.

Each line gives the median wall seconds and the median system seconds of the
process (the kernel's work: page faults, compaction for huge pages, pages handed
back and taken again), and the slowest run: that work comes at random.

    .venv/bin/python benchmarks/allocators.py [--rows 1000000] [--repeat 5]
    SIPAS_DATABASE_URL=sqlite:////tmp/r1m.db .venv/bin/python benchmarks/allocators.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_stats import child_run, make_data, write_csv  # noqa: E402

#: The dashboard's computation of a round's results, in a process of its own.
RESULTS = """
import sys
from sipas import create_app
from sipas.services.results.dashboard import compute_results
from sipas.services.waves.lookup import wave_by_code
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "JOBS_DIR": sys.argv[3]})
with app.test_request_context():
    compute_results(wave_by_code(sys.argv[2]), None)
"""


#: The environment of each side: before this project chose, and now.
SETTINGS = {
    "before": {"NUMPY_MADVISE_HUGEPAGE": "1", "ARROW_DEFAULT_MEMORY_POOL": "jemalloc"},
    "after": {"NUMPY_MADVISE_HUGEPAGE": "0", "ARROW_DEFAULT_MEMORY_POOL": "system"},
}


def timed(command: list[str], side: str) -> tuple[float, float]:
    """Wall and system seconds of one run of ``command`` on one side."""
    wall, _, system = child_run(command, {**os.environ, **SETTINGS[side]})
    return wall, system


def compare(name: str, command: list[str], repeat: int) -> None:
    """Run ``command`` ``repeat`` times on each side, in turns, and print both."""
    runs: dict[str, list[tuple[float, float]]] = {side: [] for side in SETTINGS}
    for _ in range(repeat):
        for side, times in runs.items():
            times.append(timed(command, side))
    for side, times in runs.items():
        walls = [wall for wall, _ in times]
        systems = [system for _, system in times]
        print(
            f"{name:<28} {side:<7} wall {statistics.median(walls):6.2f} s"
            f"  system {statistics.median(systems):5.2f} s"
            f"  slowest {max(walls):6.2f} s",
            flush=True,
        )


def main() -> None:
    """Compare both settings on the stats command and, if given, a round's results."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--wave", default="demo")
    options = parser.parse_args()
    questionnaire = str(ROOT / "questionnaires" / "sipas-2017.yaml")
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "stats.csv"
        write_csv(csv_path, *make_data(options.rows))
        stats = [sys.executable, "-m", "sipas.stats", str(csv_path)]
        compare(
            f"sipas-stats, {options.rows:,} rows",
            [*stats, "--questionnaire", questionnaire],
            options.repeat,
        )
        database = os.environ.get("SIPAS_DATABASE_URL")
        if database:
            results = [sys.executable, "-c", RESULTS, database, options.wave, folder]
            compare(f"results of {options.wave}", results, options.repeat)


if __name__ == "__main__":
    main()
