"""Time the round's results (`compute_results`: dashboard, results page, PDF report
and workbook all start there) before and after, in one run, on the same database;
and check both give the same figures.

The "before" tree is a git revision (default ``main``) exported to a temporary
directory; each tree computes in its own process, printing the seconds and every
estimate (value, variance, df, design effect) of the indices, breakdowns and ranking,
with the ranking's comparisons. The largest relative difference between the two is
printed (≤ 1e-12 expected).

    SIPAS_DATABASE_URL=sqlite:////tmp/d.db .venv/bin/python benchmarks/results_speed.py

(after `flask sipas demo --responses 100000`; `benchmarks/big_wave.py` makes the
wave ten times as large). ``--no-before`` times only this tree (the old path takes
minutes at 1M responses).

``--engine N [N …]`` times the statistics of compute_results without the database,
before and after: N responses each its own PSU in 5 strata, 22 criteria, the index
tree of sipas-2017, whole-wave indices with design effects, six breakdowns of
2–6 values and a ranking of 8 units with every pairwise comparison.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._trees import export, probe_json  # noqa: E402

#: What each tree runs: compute_results of the whole wave, timed, and its figures.
PROBE = """
import json, resource, sys, time
from sipas import create_app
from sipas.services.results.dashboard import compute_results
from sipas.services.waves.lookup import wave_by_code

def estimates(indices):
    results = [*indices.criteria, *indices.factors, indices.overall]
    found = [(r.code, r.estimate) for r in results]
    if indices.tree is not None:
        found += [("node:" + n.code, n.estimate) for n in indices.tree.walk()]
    return [[code, e.value, e.variance, e.df, e.deff] for code, e in found]

app = create_app()
with app.test_request_context():
    wave = wave_by_code(sys.argv[1])
    start = time.perf_counter()
    results = compute_results(wave, None)
    seconds = time.perf_counter() - start
    figures = {"overall": estimates(results.indices)}
    for breakdown in results.breakdowns:
        for row in breakdown.rows:
            figures[breakdown.code + "=" + row.value] = estimates(row.indices)
    for unit in results.ranking:
        figures["rank:" + unit.unit.code] = estimates(unit.indices) + [
            [unit.rank, list(unit.indistinguishable), list(unit.untestable),
             sorted((k, str(v)) for k, v in unit.standings.items())]
        ]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "responses": results.responses,
                      "peak_mb": peak,
                      "figures": figures}))
"""


#: The statistics of compute_results on arrays (as WaveData hands them over).
ENGINE = """
import itertools, json, resource, sys, time
import numpy as np
from sipas.questionnaire import load_file
from sipas.stats.compare import compare_domains, domain_standings
from sipas.stats.design import build_design
from sipas.stats.indices import Options, compute_indices
from sipas.stats.structure import factor_structure, index_structure
from sipas.stats.sums import domain_sums
from sipas.stats.tree import with_tree

n = int(sys.argv[1])
q = load_file("questionnaires/sipas-2017.yaml").questionnaire
criteria = tuple(item.code for item in q.criteria)
factors, tree = tuple(factor_structure(q)), index_structure(q)
rng = np.random.default_rng(1)
unit = rng.integers(0, 8, n)
strata = [f"S{u % 5}" for u in unit.tolist()]
design, psu = build_design(strata, [f"r{i}" for i in range(n)])
weight = rng.uniform(1, 3, 8)[unit]
answers = rng.integers(1, 6, (n, len(criteria))).astype(np.int8)
answers[rng.random(answers.shape) < 0.05] = 0
options = Options()
kw = {"compact": True} if "compact" in domain_sums.__code__.co_varnames else {}

def indices_of(domain, n_domains, gram):
    sums = domain_sums(design.n_psus, psu, weight, answers, domain, n_domains,
                       with_gram=gram, **kw)
    return [with_tree(compute_indices(design, s, criteria, factors, options),
                      design, s, criteria, tree, options) for s in sums]

start = time.perf_counter()
whole = indices_of(np.zeros(n, np.int64), 1, True)[0]
figures = [[e.estimate.value, e.estimate.variance] for e in whole.criteria]
for values in (4, 2, 6, 3, 5, 2):
    groups = indices_of(rng.integers(0, values, n), values, False)
    figures += [[g.overall.estimate.value, g.overall.estimate.variance] for g in groups]
units = indices_of(unit, 8, False)
for a, b in itertools.combinations(units, 2):
    figures.append(str(compare_domains(design, a.overall.estimate, b.overall.estimate)))
overall = whole.overall.estimate
for u in units:
    pair = {"overall": (u.overall.estimate, overall)}
    figures.append(str(domain_standings(design, pair)["overall"]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - start, "responses": n,
                  "peak_mb": peak,
                  "figures": figures}))
"""


def probe(tree: Path, wave: str, script: str = PROBE) -> dict:
    """Run the probe in ``tree``: its seconds and figures."""
    return probe_json(tree, script, wave)


def largest_difference(before: object, after: object) -> tuple[float, str]:
    """The largest relative difference between two nests of figures (inf when
    their shapes or any non-number differ), and where it is."""
    if isinstance(before, float) or isinstance(after, float):
        if not isinstance(before, int | float) or not isinstance(after, int | float):
            return math.inf, ""
        if math.isnan(before) and math.isnan(after):
            return 0.0, ""
        scale = max(abs(before), abs(after))
        return (0.0 if scale == 0 else abs(before - after) / scale), ""
    if isinstance(before, dict) and isinstance(after, dict):
        if before.keys() != after.keys():
            return math.inf, "(keys)"
        pairs = [(str(k), before[k], after[k]) for k in before]
    elif isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return math.inf, "(length)"
        pairs = [
            (str(k), b, a) for k, (b, a) in enumerate(zip(before, after, strict=True))
        ]
    else:
        return (0.0, "") if before == after else (math.inf, repr(before))
    found = [
        (difference, f"{key}/{where}")
        for key, b, a in pairs
        for difference, where in [largest_difference(b, a)]
    ]
    return max(found, default=(0.0, ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--before", default="main")
    parser.add_argument("--no-before", action="store_true")
    parser.add_argument("--engine", type=int, nargs="+", metavar="N")
    args = parser.parse_args()
    if args.engine:
        for n in args.engine:
            report(measure(args, str(n), ENGINE), "statistics from arrays")
        return
    url = os.environ.get("SIPAS_DATABASE_URL", "(default)")
    report(
        measure(args, args.wave, PROBE), f"compute_results of {args.wave!r} on {url}"
    )


def measure(args: argparse.Namespace, argument: str, script: str) -> dict:
    """The probe's results in the before tree (unless --no-before) and this one."""
    found = {}
    if not args.no_before:
        with tempfile.TemporaryDirectory(prefix="results-speed-") as temp:
            before = export(args.before, Path(temp))
            found["before"] = probe(before, argument, script)
    found["after"] = probe(ROOT, argument, script)
    return found


def report(found: dict, title: str) -> None:
    """Seconds before and after, their ratio and the largest difference."""
    print(f"{title} ({found['after']['responses']} responses)")
    for name, result in found.items():
        print(
            f"  {name:6} {result['seconds']:7.2f} s, peak {result['peak_mb']:6.0f} MB"
        )
    if "before" in found:
        ratio = found["before"]["seconds"] / found["after"]["seconds"]
        difference, where = largest_difference(
            found["before"]["figures"], found["after"]["figures"]
        )
        print(
            f"  ratio {ratio:.1f}×, largest relative difference {difference:.1e}"
            f" (at {where.rstrip('/')})"
        )


if __name__ == "__main__":
    main()
