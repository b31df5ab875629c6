"""How close the round's criterion variances are to the same formula in long double
(80-bit) arithmetic, on a database that holds a round (the 1M demo:
`benchmarks/big_wave.py`): the relative error of each criterion's variance.

Each response is its own PSU: z = w·(satisfied − R·answered)/X, and the variance is
Σ_h n_h/(n_h − 1) Σ (z − z̄_h)² over the strata, every stratum having many PSUs.

Run: SIPAS_DATABASE_URL=sqlite:////path/sipas.db .venv/bin/python
     benchmarks/variance_precision.py [--wave demo] [--criteria 0 8 21]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SIPAS_SECRET_KEY", "benchmark-" + "x" * 40)

from sipas import create_app  # noqa: E402
from sipas.services.results import sums  # noqa: E402
from sipas.services.waves.lookup import wave_by_code  # noqa: E402
from sipas.stats.indices import Options  # noqa: E402


def long_double_variance(
    codes: np.ndarray, weight: np.ndarray, stratum: np.ndarray, n_strata: int
) -> np.longdouble:
    """One criterion's variance, every step in long double."""
    w = weight.astype(np.longdouble)
    answered = (codes > 0).astype(np.longdouble)
    satisfied = (codes >= 4).astype(np.longdouble)
    ratio = (w * satisfied).sum() / (w * answered).sum()
    z = w * (satisfied - ratio * answered) / (w * answered).sum()
    variance = np.longdouble(0)
    for h in range(n_strata):
        values = z[stratum == h]
        if len(values) > 1:
            spread = ((values - values.mean()) ** 2).sum()
            variance += len(values) / np.longdouble(len(values) - 1) * spread
    return variance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--criteria", type=int, nargs="+", default=[0, 8, 21])
    args = parser.parse_args()
    app = create_app()
    with app.test_request_context():
        data = sums.wave_data(wave_by_code(args.wave))
        if not data.per_response:
            raise SystemExit("the round's PSUs are not its responses")
        indices = data.indices(Options())
        stratum = data.design.psu_stratum[data.psu_index]
        for k in args.criteria:
            exact = long_double_variance(
                data.answer_codes[:, k], data.weight, stratum, data.design.n_strata
            )
            ours = indices.criteria[k].estimate.variance
            error = float((np.longdouble(ours) - exact) / exact)
            print(
                f"{indices.criteria[k].code:>4}: variance {ours:.17g}, "
                f"relative error {error:+.1e}"
            )


if __name__ == "__main__":
    main()
