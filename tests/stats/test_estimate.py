"""An estimate's variance: rounding noise of a variance that is zero is zero."""

from __future__ import annotations

import pytest

from sipas.stats.estimate import Estimate
from sipas.stats.intervals import CiMethod, proportion_interval


def share(variance: float, value: float = 2 / 3) -> Estimate:
    return Estimate(value, variance, df=4, n=6, satisfied=4, deff=None, deff_kish=None)


@pytest.mark.parametrize("noise", [6.16e-33, 3.08e-33, -3.08e-33, 0.0])
def test_a_variance_of_rounding_noise_is_zero_and_the_interval_not_zero_wide(noise):
    # a domain whose PSUs all give 2/3: the sums leave ~1e-33 of either sign,
    # depending on the order the database returned the rows
    estimate = share(noise)
    assert estimate.variance == 0.0
    assert estimate.se == 0.0
    interval = proportion_interval(
        CiMethod.logit,
        estimate.value,
        estimate.variance,
        estimate.df,
        0.95,
        n=estimate.n,
        successes=estimate.satisfied,
    )
    assert interval.method is CiMethod.clopper_pearson
    assert interval.lower < estimate.value < interval.upper


@pytest.mark.parametrize("variance", [1e-12, 2.2e-14, 0.01])
def test_a_small_real_variance_is_kept(variance):
    # ten million responses give a variance of 2e-8; one far smaller is still kept
    assert share(variance).variance == variance


def test_values_of_zero_one_or_none_keep_their_variance():
    assert share(1e-33, value=1.0).variance == 1e-33
    assert share(1e-33, value=0.0).variance == 1e-33
    nan = float("nan")
    assert share(nan, value=nan).variance != share(nan, value=nan).variance
