"""What numpy's transparent huge pages cost: the same work with NUMPY_MADVISE_HUGEPAGE=1
(numpy's default on Linux 4.6 and newer, and this project's before `sipas/__init__.py`
set 0) and with 0 (the project's default now), in turns, each run a fresh process.

(a) `sipas-stats` on a stats CSV of ``--rows`` rows (bench_stats' synthetic data:
    34 strata, 250 PSUs, 22 criteria);
(b) with SIPAS_DATABASE_URL set, the results of the round ``--wave`` as the
    dashboard computes them (`compute_results`), e.g. on a copy of the 1.07 M round
    of `benchmarks/big_wave.py`.

Each line gives the median wall seconds and the median system seconds of the
process (the kernel's work: page faults, and compaction for huge pages), and the
slowest run: with huge pages asked for, the kernel's compaction comes at random.

    .venv/bin/python benchmarks/huge_pages.py [--rows 1000000] [--repeat 5]
    SIPAS_DATABASE_URL=sqlite:////tmp/r1m.db .venv/bin/python benchmarks/huge_pages.py
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


def timed(command: list[str], huge_pages: str) -> tuple[float, float]:
    """Wall and system seconds of one run of ``command`` with the given setting."""
    wall, _, system = child_run(
        command, {**os.environ, "NUMPY_MADVISE_HUGEPAGE": huge_pages}
    )
    return wall, system


def compare(name: str, command: list[str], repeat: int) -> None:
    """Run ``command`` ``repeat`` times with each setting, in turns, and print both."""
    runs: dict[str, list[tuple[float, float]]] = {"1": [], "0": []}
    for _ in range(repeat):
        for setting, times in runs.items():
            times.append(timed(command, setting))
    for setting, label in (("1", "huge pages (before)"), ("0", "none (after)")):
        walls = [wall for wall, _ in runs[setting]]
        systems = [system for _, system in runs[setting]]
        print(
            f"{name:<28} {label:<20} wall {statistics.median(walls):6.2f} s"
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
