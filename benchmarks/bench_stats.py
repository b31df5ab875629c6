"""Time and peak memory of the statistics on ~34 strata, ~250 PSUs, 22 criteria:

(a) the engine from arrays (design, per-PSU sums, every index and interval);
(b) CSV → JSON through `flask sipas stats` (a whole process: start-up included);
(e) the same through `sipas-stats` (`python -m sipas.stats`), which imports no web
    code; and the start-up of both: a whole run on a 100-row file;
(c) a wave of as many responses from the database, SQLite and PostgreSQL
    (benchmarks/bench_reporting.py does the loading and measuring);
(d) R's survey on the same CSV: the 22 criterion ratios with their SEs (svymean on
    subsets), and with --r-full the whole JSON (tests/stats/oracle.R: intervals by
    svyciprop, design effects, factors and overall by svycontrast).

With --csv FILE (repeatable), (e) and (d) also on that file: the platform's own
export of a round, where every response is its own PSU in its unit's stratum and
the export's other columns come along (a million responses: `big_wave.py --times
10`, then `flask sipas export demo --format csv -o FILE`). R runs once on it.

For every file, two floors under (e): its CPU time, from which the least wall time
two cores allow (the start-up on one core, the rest halved) and so the most R ÷ (e)
can reach on this machine; and Arrow's parse alone, the reader (e) stands on.

Run: .venv/bin/python benchmarks/bench_stats.py [--sizes 10000 100000 1000000]
         [--repeat 3] [--no-r] [--r-full] [--databases sqlite postgresql | --no-db]
         [--csv FILE …]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sipas.stats.coded import Coded  # noqa: E402
from sipas.stats.design import build_design  # noqa: E402
from sipas.stats.indices import FactorStructure, Options, compute_indices  # noqa: E402
from sipas.stats.sums import criterion_sums  # noqa: E402
from tests.stats.survey_data import CRITERIA  # noqa: E402

FACTORS = [FactorStructure(f, tuple(c for c in CRITERIA if c[0] == f)) for f in "ABCDE"]
N_STRATA, N_PSUS = 34, 250
R_RATIO_SCRIPT = """
suppressMessages(library(survey)); options(survey.lonely.psu="adjust")
d <- read.csv(commandArgs(TRUE)[1])
des <- svydesign(ids=~psu, strata=~stratum, weights=~weight, data=d, nest=TRUE)
for (code in strsplit(commandArgs(TRUE)[2], ",")[[1]]) {
  d2 <- subset(des, !is.na(des$variables[[code]]) & des$variables[[code]] <= 5)
  invisible(svymean(as.formula(sprintf("~I(%s >= 4)", code)), d2))
}
"""


def make_data(n: int, seed: int = 1):
    """Strata, PSUs, unequal weights, PSU effects; factor E mostly skipped."""
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, N_PSUS, n)
    stratum = psu % N_STRATA
    weight = rng.uniform(5, 80, N_PSUS)[psu] * rng.uniform(0.8, 1.2, n)
    quality = rng.normal(4.2, 0.4, N_PSUS)[psu]
    answers = np.clip(
        np.rint(quality[:, None] + rng.normal(0, 1, (n, len(CRITERIA)))), 1, 5
    )
    answers[rng.random((n, len(CRITERIA))) < 0.03] = 9
    answers[:, 18:][rng.random(n) > 0.15] = 0  # factor E mostly skipped
    return stratum, psu, weight, answers.astype(np.int8)


def write_csv(path: Path, stratum, psu, weight, answers) -> None:
    """The stats CSV of DESIGN §5 (blank for a skipped answer, 9 not applicable)."""
    text = np.where(answers == 0, "", answers.astype(str))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["response_id", "stratum", "psu", "weight", *CRITERIA])
        for i in range(len(psu)):
            writer.writerow(
                [i, f"S{stratum[i]}", f"P{psu[i]}", f"{weight[i]:.4f}", *text[i]]
            )


#: Runs one command and prints its peak RSS in KB, its system seconds and its wall
#: seconds (a fresh parent per measurement, so RUSAGE_CHILDREN holds that command
#: alone; the wall time is the command's own, from its start to its end, without
#: the 20-30 ms this wrapper takes to start).
PEAK_WRAPPER = (
    "import resource, subprocess, sys, time;"
    "started = time.perf_counter();"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
    "wall = time.perf_counter() - started;"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN);"
    "print(usage.ru_maxrss, usage.ru_stime, wall, usage.ru_utime)"
)

#: Arrow's parse alone, as sipas-stats asks for it (typed columns, the design's and
#: the criteria only): the interpreter, pyarrow's import and the parse, nothing else.
ARROW_ALONE = """
import sys
import pyarrow as pa
from pyarrow import csv
path, criteria = sys.argv[1], sys.argv[2].split(",")
with open(path, encoding="utf-8-sig") as handle:
    header = handle.readline().strip().split(",")
present = [code for code in criteria if code in header]
words = pa.dictionary(pa.int32(), pa.string())
types = {"stratum": words, "psu": words, "weight": pa.float64()}
types.update({code: pa.int8() for code in present})
csv.read_csv(
    path,
    read_options=csv.ReadOptions(column_names=header, skip_rows=1),
    parse_options=csv.ParseOptions(newlines_in_values=False),
    convert_options=csv.ConvertOptions(
        column_types=types, include_columns=list(types), null_values=[""]
    ),
)
"""


def _wrapped(args: list[str], env: dict[str, str]) -> list[str]:
    """PEAK_WRAPPER's four figures for one run of a command."""
    completed = subprocess.run(
        [sys.executable, "-c", PEAK_WRAPPER, *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    return completed.stdout.split()[-4:]


def child_run(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and system seconds of one run of a command."""
    peak_kb, system_seconds, wall, _user = _wrapped(args, env)
    return float(wall), int(peak_kb) / 1024, float(system_seconds)


def timed_cpu(args: list[str], repeat: int) -> tuple[float, float]:
    """Median wall and median CPU seconds (user + system) of ``repeat`` runs."""
    env = {**os.environ, "SIPAS_DATABASE_URL": "sqlite://"}
    runs = [_wrapped(args, env) for _ in range(repeat)]
    walls = [float(run[2]) for run in runs]
    cpus = [float(run[1]) + float(run[3]) for run in runs]
    return statistics.median(walls), statistics.median(cpus)


def two_core_bound(
    csv_path: Path,
    command: list[str],
    start_up: float,
    r_seconds: float,
    repeat: int,
) -> None:
    """Print what this two-core machine allows at best: the start-up runs on one
    core, and the rest of the CPU time could at best be split over two; beside
    it, Arrow's parse alone, the floor under any reader of ours."""
    _, cpu = timed_cpu(command, repeat)
    bound = start_up + max(cpu - start_up, 0.0) / 2
    parse_wall, parse_cpu = timed_cpu(
        [sys.executable, "-c", ARROW_ALONE, str(csv_path), ",".join(CRITERIA)], repeat
    )
    print(
        f"  sipas-stats used {cpu:.2f} s of CPU: on two cores no run of it can take "
        f"less than {bound:.2f} s (start-up {start_up:.2f} s on one core, the rest "
        f"halved), R/bound {r_seconds / bound:.1f}\n"
        f"  Arrow's parse alone (interpreter and import included): {parse_wall:.2f} s"
        f", {parse_cpu:.2f} s of CPU",
        flush=True,
    )


def timed_child(args: list[str], repeat: int = 1) -> tuple[float, float]:
    """Median wall seconds and largest peak RSS (MB) of ``repeat`` runs of a command."""
    env = {**os.environ, "SIPAS_DATABASE_URL": "sqlite://"}
    runs = [child_run(args, env) for _ in range(repeat)]
    return statistics.median(run[0] for run in runs), max(run[1] for run in runs)


def from_arrays(stratum, psu, weight, answers) -> float:
    """Seconds for the engine on integer-coded arrays (best of three)."""
    strata = Coded(tuple(f"S{s}" for s in range(N_STRATA)), stratum)
    psus = Coded(tuple(f"P{p}" for p in range(N_PSUS)), psu)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        design, psu_of_row = build_design(strata, psus)
        sums = criterion_sums(design.n_psus, psu_of_row, weight, answers)
        compute_indices(design, sums, CRITERIA, FACTORS, Options())
        best = min(best, time.perf_counter() - started)
    return best


def r_runs(folder: Path, csv_path: Path, full: bool) -> tuple[float, float, float]:
    """(d): seconds and peak MB of R on the ratios; seconds of the full oracle."""
    ratio_script = folder / "ratio.R"
    ratio_script.write_text(R_RATIO_SCRIPT)
    seconds, peak = timed_child(
        ["Rscript", str(ratio_script), str(csv_path), ",".join(CRITERIA)]
    )
    full_seconds = float("nan")
    if full:
        factors = ";".join(f"{f.code}={'+'.join(f.criteria)}" for f in FACTORS)
        oracle = ROOT / "tests" / "stats" / "oracle.R"
        arguments = [
            str(csv_path),
            ",".join(CRITERIA),
            factors,
            "adjust",
            "logit",
            "0.95",
        ]
        full_seconds, _ = timed_child(["Rscript", str(oracle), *arguments])
    return seconds, peak, full_seconds


def given_file(
    csv_path: Path,
    standalone: list[str],
    questionnaire: str,
    repeat: int,
    use_r: bool,
    start_up: float,
) -> None:
    """(e) and (d) on a file given (R once: minutes on a million PSUs), and the
    bound two cores set (``start_up``: a whole run on 100 rows)."""
    with csv_path.open("rb") as handle:
        rows = sum(1 for _line in handle) - 1
    seconds_e, mb_e = timed_child(
        [*standalone, str(csv_path), "--questionnaire", questionnaire], repeat
    )
    with tempfile.TemporaryDirectory() as folder:
        r = r_runs(Path(folder), csv_path, False) if use_r else (float("nan"),) * 3
    print(
        f"\n{csv_path.name}: {rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB\n"
        f"  sipas-stats {seconds_e:.2f} s (median of {repeat}, peak {mb_e:.0f} MB), "
        f"R {r[0]:.1f} s (peak {r[1]:.0f} MB): R/(e) {r[0] / seconds_e:.1f}",
        flush=True,
    )
    command = [*standalone, str(csv_path), "--questionnaire", questionnaire]
    two_core_bound(csv_path, command, start_up, r[0], repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of (b); median")
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--r-full", action="store_true")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--no-db", action="store_true")
    parser.add_argument("--csv", type=Path, action="append", default=[])
    options = parser.parse_args()
    use_r = not options.no_r and shutil.which("Rscript")
    # bytecode as an installed package has it, so (b) does not time compiling sipas
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "sipas", "wsgi.py"],
        cwd=ROOT,
        check=True,
    )
    flask = str(Path(sys.executable).with_name("flask"))
    questionnaire = str(ROOT / "questionnaires" / "sipas-2017.yaml")
    standalone = [sys.executable, "-m", "sipas.stats"]
    print(f"{N_STRATA} strata, {N_PSUS} PSUs, {len(CRITERIA)} criteria")
    with tempfile.TemporaryDirectory() as folder:
        tiny = Path(folder) / "tiny.csv"
        write_csv(tiny, *make_data(100))
        arguments = [str(tiny), "--questionnaire", questionnaire]
        start_flask, _ = timed_child(
            [flask, "--app", "wsgi", "sipas", "stats", *arguments], 5
        )
        start_alone, _ = timed_child([*standalone, *arguments], 5)
        print(
            f"start-up (a whole run on 100 rows, median of 5): flask sipas stats "
            f"{start_flask:.2f} s, sipas-stats {start_alone:.2f} s"
        )
        print(
            f"{'rows':>9} {'(a) s':>7} {'(b) s':>7} {'(b) MB':>7} {'(e) s':>7} "
            f"{'(d) R s':>8} {'(d) MB':>7} {'R/(b)':>6} {'R/(e)':>6} "
            f"{'R full s':>9} {'full/(e)':>8}"
        )
        for n in options.sizes:
            data = make_data(n)
            seconds_a = from_arrays(*data)
            csv_path = Path(folder) / f"s{n}.csv"
            write_csv(csv_path, *data)
            command = [flask, "--app", "wsgi", "sipas", "stats", str(csv_path)]
            seconds_b, mb_b = timed_child(
                [*command, "--questionnaire", questionnaire], options.repeat
            )
            seconds_e, _ = timed_child(
                [*standalone, str(csv_path), "--questionnaire", questionnaire],
                options.repeat,
            )
            r = (
                r_runs(Path(folder), csv_path, options.r_full)
                if use_r
                else (float("nan"),) * 3
            )
            print(
                f"{n:>9} {seconds_a:>7.3f} {seconds_b:>7.2f} {mb_b:>7.0f} "
                f"{seconds_e:>7.2f} {r[0]:>8.2f} {r[1]:>7.0f} "
                f"{r[0] / seconds_b:>6.1f} {r[0] / seconds_e:>6.1f} "
                f"{r[2]:>9.1f} {r[2] / seconds_e:>8.1f}",
                flush=True,
            )
            stats_run = [*standalone, str(csv_path), "--questionnaire", questionnaire]
            two_core_bound(csv_path, stats_run, start_alone, r[0], options.repeat)
    for csv_path in options.csv:
        given_file(
            csv_path, [*standalone], questionnaire, options.repeat, use_r, start_alone
        )
    if not options.no_db:
        print("\n(c) from the database")
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "bench_reporting.py"),
                "--responses",
                *map(str, options.sizes),
                "--databases",
                *options.databases,
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
