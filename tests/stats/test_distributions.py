"""The t and beta quantiles made without scipy equal scipy's (R's qt and qbeta)."""

from __future__ import annotations

import pytest
from scipy import special

from sipas.stats import distributions
from sipas.stats.distributions import beta_quantile, normal_quantile, t_quantile

LEVELS = [0.0005, 0.005, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.95, 0.975, 0.9995]


@pytest.mark.parametrize(
    "df",
    [
        *(1, 2, 3, 4, 7, 10, 29, 30, 100, 216, 999, 999.5, 1000.5, 1001, 2500),
        *(3999, 5000, 10**5, 10**6, 10**7, 10**9),
    ],
)
def test_t_quantiles_equal_scipys(df):
    for p in LEVELS:
        expected = float(special.stdtrit(df, p))
        assert t_quantile(df, p) == pytest.approx(expected, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, 1), (1, 30), (30, 1), (0.5, 3), (3, 0.5), (12, 19), (99, 2), (2, 99),
        (250.5, 600.25), (1, 1999), (1500, 499), (5000, 20), (2e5, 3e5),
    ],
)  # fmt: skip
def test_beta_quantiles_equal_scipys(a, b):
    for p in LEVELS:
        expected = float(special.betaincinv(a, b, p))
        assert beta_quantile(a, b, p) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_normal_quantiles_equal_scipys():
    for p in LEVELS:
        expected = float(special.ndtri(p))
        assert normal_quantile(p) == pytest.approx(expected, rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("n", [1, 2, 7, 30, 123, 400, 499])
def test_clopper_pearson_bounds_equal_scipys(n):
    # the shapes a Clopper–Pearson interval asks for, every count of successes
    for successes in range(n + 1):
        lower = (successes, n - successes + 1, 0.025)
        upper = (successes + 1, n - successes, 0.975)
        for a, b, p in (lower, upper):
            if a == 0 or b == 0:
                continue
            expected = float(special.betaincinv(a, b, p))
            assert beta_quantile(a, b, p) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("a", "b", "p"), [(300, 5, 0.975), (38, 199, 0.975)])
def test_beta_quantile_stops_where_it_lands_on_the_root(a, b, p, monkeypatch):
    # a step that lands on the root exactly used to be thrown out for bisection
    # (the root is the bracket's own end), and the search crawled on for 20 more
    evaluations = []
    original = distributions.incomplete_beta

    def counted(a: float, b: float, x: float) -> float | None:
        evaluations.append(x)
        return original(a, b, x)

    monkeypatch.setattr(distributions, "incomplete_beta", counted)
    found = beta_quantile.__wrapped__(a, b, p)
    assert found == pytest.approx(float(special.betaincinv(a, b, p)), rel=1e-12)
    assert len(evaluations) <= 5


@pytest.mark.parametrize(("a", "b"), [(0.5, 249.5), (49.5, 450), (0.5, 10), (3, 0.5)])
@pytest.mark.parametrize("p", [1e-160, 1e-12, 1e-7, 1 - 1e-7, 1 - 1e-9, 1 - 1e-15])
def test_far_tails_equal_scipys(a, b, p):
    # there the incomplete beta's rounding is not small against p or 1 - p
    expected = float(special.betaincinv(a, b, p))
    assert beta_quantile(a, b, p) == pytest.approx(expected, rel=1e-12, abs=1e-300)
