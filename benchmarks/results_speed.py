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
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.demo_speed import PYTHON, export  # noqa: E402

#: What each tree runs: compute_results of the whole wave, timed, and its figures.
PROBE = """
import json, sys, time
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
    print(json.dumps({"seconds": seconds, "responses": results.responses,
                      "figures": figures}))
"""


def probe(tree: Path, wave: str) -> dict:
    """Run the probe in ``tree``: its seconds and figures."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [PYTHON, "-c", PROBE, wave],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def largest_difference(before: object, after: object) -> float:
    """The largest relative difference between two nests of figures (inf when
    their shapes or any non-number differ)."""
    if isinstance(before, float) or isinstance(after, float):
        if not isinstance(before, int | float) or not isinstance(after, int | float):
            return math.inf
        if math.isnan(before) and math.isnan(after):
            return 0.0
        scale = max(abs(before), abs(after))
        return 0.0 if scale == 0 else abs(before - after) / scale
    if isinstance(before, dict) and isinstance(after, dict):
        if before.keys() != after.keys():
            return math.inf
        return max((largest_difference(before[k], after[k]) for k in before), default=0)
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return math.inf
        pairs = zip(before, after, strict=True)
        return max((largest_difference(b, a) for b, a in pairs), default=0.0)
    return 0.0 if before == after else math.inf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--before", default="main")
    parser.add_argument("--no-before", action="store_true")
    args = parser.parse_args()
    found = {}
    if not args.no_before:
        with tempfile.TemporaryDirectory(prefix="results-speed-") as temp:
            found["before"] = probe(export(args.before, Path(temp)), args.wave)
    found["after"] = probe(ROOT, args.wave)
    url = os.environ.get("SIPAS_DATABASE_URL", "(default)")
    responses = found["after"]["responses"]
    print(f"compute_results of {args.wave!r} ({responses} responses) on {url}")
    for name, result in found.items():
        print(f"  {name:6} {result['seconds']:7.2f} s")
    if "before" in found:
        ratio = found["before"]["seconds"] / found["after"]["seconds"]
        difference = largest_difference(
            found["before"]["figures"], found["after"]["figures"]
        )
        print(f"  ratio {ratio:.1f}×, largest relative difference {difference:.1e}")


if __name__ == "__main__":
    main()
