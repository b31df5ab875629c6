"""Time and peak memory of the statistics: (a) from arrays, (b) CSV → JSON through the
CLI, (d) R's survey on the same CSV (ratio indices of the 22 criteria).

Run: .venv/bin/python benchmarks/bench_stats.py [--sizes 10000 100000] [--no-r]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sipas.stats.design import build_design  # noqa: E402
from sipas.stats.indices import FactorStructure, Options, compute_indices  # noqa: E402
from sipas.stats.sums import criterion_sums  # noqa: E402
from tests.stats.survey_data import CRITERIA  # noqa: E402

FACTORS = [FactorStructure(f, tuple(c for c in CRITERIA if c[0] == f)) for f in "ABCDE"]
N_STRATA, N_PSUS = 34, 250
R_SCRIPT = """
suppressMessages(library(survey)); options(survey.lonely.psu="adjust")
d <- read.csv(commandArgs(TRUE)[1])
des <- svydesign(ids=~psu, strata=~stratum, weights=~weight, data=d, nest=TRUE)
for (code in strsplit(commandArgs(TRUE)[2], ",")[[1]]) {
  d2 <- subset(des, !is.na(des$variables[[code]]) & des$variables[[code]] <= 5)
  invisible(svymean(as.formula(sprintf("~I(%s >= 4)", code)), d2))
}
"""


def make_data(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, N_PSUS, n)
    stratum = psu % N_STRATA
    weight = rng.uniform(5, 80, N_PSUS)[psu] * rng.uniform(0.8, 1.2, n)
    quality = rng.normal(3.8, 0.5, N_PSUS)[psu]
    answers = np.clip(
        np.rint(quality[:, None] + rng.normal(0, 1, (n, len(CRITERIA)))), 1, 5
    )
    answers[rng.random((n, len(CRITERIA))) < 0.03] = np.nan
    answers[:, 18:][rng.random(n) > 0.15] = np.nan  # factor E mostly skipped
    return stratum, psu, weight, answers


def write_csv(path: Path, stratum, psu, weight, answers) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["response_id", "stratum", "psu", "weight", *CRITERIA])
        for i in range(len(psu)):
            values = ["" if np.isnan(v) else str(int(v)) for v in answers[i]]
            writer.writerow(
                [i, f"S{stratum[i]}", f"P{psu[i]}", f"{weight[i]:.4f}", *values]
            )


#: Runs one command and prints its peak RSS in KB (a fresh parent per measurement, so
#: RUSAGE_CHILDREN holds that command alone).
PEAK_WRAPPER = (
    "import resource, subprocess, sys;"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed_child(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a child process."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", PEAK_WRAPPER, *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    return time.perf_counter() - started, int(completed.stdout.split()[-1]) / 1024


def from_arrays(stratum, psu, weight, answers) -> float:
    started = time.perf_counter()
    design, psu_of_row = build_design(
        [f"S{s}" for s in stratum], [f"P{p}" for p in psu]
    )
    sums = criterion_sums(design.n_psus, psu_of_row, weight, answers)
    compute_indices(design, sums, CRITERIA, FACTORS, Options())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-r", action="store_true")
    options = parser.parse_args()
    flask = str(Path(sys.executable).with_name("flask"))
    use_r = not options.no_r and shutil.which("Rscript")
    print(f"{N_STRATA} strata, {N_PSUS} PSUs, {len(CRITERIA)} criteria")
    print(
        f"{'rows':>9} {'(a) arrays s':>13} {'(b) CLI s':>10} {'(b) MB':>7} "
        f"{'(d) R s':>8} {'(d) MB':>7} {'R/(b)':>6}"
    )
    with tempfile.TemporaryDirectory() as folder:
        r_file = Path(folder) / "ratio.R"
        r_file.write_text(R_SCRIPT)
        for n in options.sizes:
            data = make_data(n)
            seconds_a = from_arrays(*data)
            csv_path = Path(folder) / f"s{n}.csv"
            write_csv(csv_path, *data)
            env = {**os.environ, "SIPAS_DATABASE_URL": f"sqlite:///{folder}/x.db"}
            seconds_b, mb_b = timed_child(
                [
                    flask,
                    "--app",
                    "wsgi",
                    "sipas",
                    "stats",
                    str(csv_path),
                    "--questionnaire",
                    str(ROOT / "questionnaires" / "sipas-2017.yaml"),
                ],
                env,
            )
            seconds_d = mb_d = float("nan")
            if use_r:
                seconds_d, mb_d = timed_child(
                    ["Rscript", str(r_file), str(csv_path), ",".join(CRITERIA)]
                )
            print(
                f"{n:>9} {seconds_a:>13.3f} {seconds_b:>10.2f} {mb_b:>7.0f} "
                f"{seconds_d:>8.2f} {mb_d:>7.0f} {seconds_d / seconds_b:>6.1f}"
            )


if __name__ == "__main__":
    main()
