"""Time the perception shares and expectation rankings of a wave, before and after,
in one run, on the same database; and check both give the same figures.

The "before" tree is a git revision (default ``main``) exported to a temporary
directory; each tree computes in its own process (best of ``--repeat``), printing
the seconds and a digest of every share, estimate and interval.

    SIPAS_DATABASE_URL=sqlite:////tmp/d.db .venv/bin/python benchmarks/shares_speed.py

(after `flask sipas demo --responses 100000` on that database; PostgreSQL URLs too).
Figures are compared to 9 decimals: at 1M responses a per-response sum of weights
(before) is off by ~1e-12 relative where per-unit counts × weights (after) are
exact, so the 12th decimal differs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._trees import export, probe_json  # noqa: E402

#: What each tree runs: the two share tables of the results page, timed.
PROBE = """
import hashlib, json, sys, time
from sipas import create_app
from sipas.services.questionnaires import parsed
from sipas.services.results import compute
from sipas.services.waves.lookup import wave_by_code
from sipas.stats.indices import Options

app = create_app()
with app.app_context():
    wave = wave_by_code(sys.argv[1])
    questionnaire = parsed(wave.questionnaire)
    best, tables = float("inf"), ()
    for _ in range(int(sys.argv[2])):
        start = time.perf_counter()
        try:  # the results read the packed choices once for all their tables
            from sipas.services.results.packed import ChoiceReader
            shared = {"choices": ChoiceReader(wave)}
        except ImportError:  # a tree from before packed choices
            shared = {}
        tables = [
            compute._share_tables(wave, questionnaire, kinds, None, Options(), "vi",
                                  ranked=ranked, **shared)
            for kinds, ranked in ((compute.PERCEPTION_SECTIONS, False),
                                  (compute.EXPECTATION_SECTIONS, True))
        ]
        best = min(best, time.perf_counter() - start)
    figures = [
        (s.item, s.option, round(s.estimate.value, 9), round(s.interval.lower, 9),
         round(s.interval.upper, 9), s.estimate.n)
        for kind in tables for table in kind for s in table.shares
    ]
    digest = hashlib.sha256(repr(figures).encode()).hexdigest()[:16]
    print(json.dumps({"seconds": best, "digest": digest, "shares": len(figures)}))
"""


def probe(tree: Path, wave: str, repeat: int) -> dict:
    """Run the probe in ``tree``: its seconds and digest."""
    return probe_json(tree, PROBE, wave, str(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--before", default="main")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shares-speed-") as temp:
        before = export(args.before, Path(temp))
        found = {
            "before": probe(before, args.wave, args.repeat),
            "after": probe(ROOT, args.wave, args.repeat),
        }
    url = os.environ.get("SIPAS_DATABASE_URL", "(default)")
    print(f"perception shares + expectation rankings of {args.wave!r} on {url}")
    for name, result in found.items():
        print(
            f"  {name:6} {result['seconds']:6.2f} s  "
            f"{result['shares']} shares, digest {result['digest']}"
        )
    ratio = found["before"]["seconds"] / found["after"]["seconds"]
    same = found["before"]["digest"] == found["after"]["digest"]
    print(f"  ratio {ratio:.1f}×, same figures: {same}")


if __name__ == "__main__":
    main()
