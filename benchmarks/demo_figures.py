"""Print the demo rounds' figures as the real results engine computes them.

    SIPAS_DATABASE_URL=sqlite:////tmp/d.db .venv/bin/python benchmarks/demo_figures.py

(after `flask sipas demo` on that database): SIPAS and factors with intervals, the
criteria's range, the unit ranking with its significant pairs, channels, groups,
perception shares and the change against last year's round.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sipas import create_app  # noqa: E402
from sipas.services.results.compute import wave_results  # noqa: E402
from sipas.services.waves.lookup import wave_by_code  # noqa: E402


def pct(value: float) -> str:
    return f"{100 * value:5.2f}"


def interval(result) -> str:
    """A result as "value [lower, upper]" in percent."""
    return (
        f"{pct(result.estimate.value)} [{pct(result.interval.lower)}, "
        f"{pct(result.interval.upper)}]"
    )


def show(code: str) -> None:
    wave = wave_by_code(code)
    results = wave_results(wave)
    print(f"== {code}: {results.responses} counted responses")
    print(f"SIPAS {interval(results.indices.overall)}")
    for factor in results.indices.factors:
        print(f"  factor {factor.code} {interval(factor)}")
    criteria = sorted((c.estimate.value, c.code) for c in results.indices.criteria)
    print("  criteria:", " ".join(f"{c}={pct(v)}" for v, c in criteria))
    print(f"  criteria range {pct(criteria[0][0])}–{pct(criteria[-1][0])}")
    ranking = results.ranking
    pairs = different = 0
    for r in ranking:
        print(
            f"  #{r.rank} {r.unit.code:15} {interval(r.indices.overall)} "
            f"same as {list(r.indistinguishable)} untestable {list(r.untestable)}"
        )
        others = len(ranking) - 1
        pairs += others
        different += others - len(r.indistinguishable) - len(r.untestable)
    print(f"  significant pairs: {different // 2} of {pairs // 2}")
    for breakdown in results.breakdowns:
        cells = " ".join(
            f"{row.label}={pct(row.indices.overall.estimate.value)}"
            for row in breakdown.rows
        )
        print(f"  by {breakdown.code}: {cells}")
    for table in results.perceptions:
        cells = " ".join(
            f"{s.option}={pct(s.estimate.value)} [{pct(s.interval.lower)}, "
            f"{pct(s.interval.upper)}]"
            for s in table.shares
        )
        print(f"  {table.code}: {cells}")
    for change in results.changes:
        if change.code in ("overall", "A", "B", "C", "D", "E"):
            d = change.difference
            print(
                f"  change {change.code}: {100 * d.value:+.2f} points, "
                f"p={d.p_value:.3g}"
            )


def main() -> None:
    app = create_app()
    with app.app_context():
        for code in sys.argv[1:] or ["demo", "demo-2025"]:
            show(code)


if __name__ == "__main__":
    main()
