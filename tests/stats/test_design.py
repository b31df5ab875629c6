"""The vectorised variances equal a plain loop over strata, rule by rule."""

from __future__ import annotations

import numpy as np
import pytest

from sipas.stats.design import (
    LonelyPsu,
    LonelyPsuError,
    build_design,
    column_degrees_of_freedom,
    column_variances,
    degrees_of_freedom,
    total_variance,
)


def reference_variance(design, z, has_rows, rule) -> float:
    """survey:::onestage written as a loop over strata (with replacement)."""
    present = {design.psu_stratum[i] for i in np.flatnonzero(has_rows)}
    lonely_present = [h for h in present if design.psus_per_stratum[h] == 1]
    variance = 0.0
    for h in present:
        values = z[design.psu_stratum == h]
        if len(values) == 1:
            if rule is LonelyPsu.fail:
                raise LonelyPsuError(design.stratum_labels[h])
            variance += values[0] ** 2 if rule is LonelyPsu.adjust else 0.0
            continue
        n_h = len(values)
        variance += n_h / (n_h - 1) * float(((values - values.mean()) ** 2).sum())
    if rule is LonelyPsu.average and len(present) > len(lonely_present):
        variance *= len(present) / (len(present) - len(lonely_present))
    return variance


@pytest.fixture
def design():
    # strata of 3, 1 (lonely), 2 and 4 PSUs
    sizes = {"S1": 3, "S2": 1, "S3": 2, "S4": 4}
    strata = [s for s, n in sizes.items() for _ in range(n)]
    psus = [f"P{i}" for s, n in sizes.items() for i in range(n)]
    return build_design(strata, psus)[0]


@pytest.mark.parametrize(
    "rule", [LonelyPsu.adjust, LonelyPsu.certainty, LonelyPsu.average]
)
def test_column_variances_equal_total_variance_per_column(design, rule):
    rng = np.random.default_rng(4)
    z = rng.normal(size=(design.n_psus, 5))
    has_rows = rng.random((design.n_psus, 5)) < 0.7
    has_rows[:, 0] = True
    has_rows[design.psu_stratum == 1, 1] = False  # the lonely stratum absent
    has_rows[:, 2] = design.psu_stratum == 3  # a single stratum
    z[~has_rows] = 0.0
    variances = column_variances(design, z, has_rows, rule)
    dfs = column_degrees_of_freedom(design, has_rows)
    for k in range(5):
        expected = reference_variance(design, z[:, k], has_rows[:, k], rule)
        assert variances[k] == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert total_variance(design, z[:, k], has_rows[:, k], rule) == variances[k]
        assert dfs[k] == degrees_of_freedom(design, has_rows[:, k])


def test_fail_names_the_lonely_stratum(design):
    z = np.ones((design.n_psus, 2))
    has_rows = np.ones((design.n_psus, 2), dtype=bool)
    with pytest.raises(LonelyPsuError) as caught:
        column_variances(design, z, has_rows, LonelyPsu.fail)
    assert caught.value.stratum == "S2"
    has_rows[design.psu_stratum == 1] = False
    assert column_variances(design, z, has_rows, LonelyPsu.fail).shape == (2,)
