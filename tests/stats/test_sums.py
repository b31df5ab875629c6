"""Per-PSU sums (sipas/stats/sums.py): a few criteria summed in one pass over the
records, their answer classes read as one joint class, give each criterion's
sums as a plain loop over PSUs and criteria does."""

from __future__ import annotations

import numpy as np
import pytest

from sipas.stats import sums as sums_module
from sipas.stats.sums import SATISFIED_FROM, criterion_sums

#: Seven criteria: with four a pass, a pass of four and a pass of three.
N_CRITERIA = 7
N_PSUS = 40


def records(seed: int = 5, n_rows: int = 2000):
    """Rows of 40 PSUs, answers 1–5, 9 or blank, unequal weights and counts."""
    rng = np.random.default_rng(seed)
    psu_of_row = rng.integers(0, N_PSUS, n_rows)
    weights = rng.uniform(0.5, 40, n_rows)
    answers = rng.integers(1, 6, (n_rows, N_CRITERIA)).astype(float)
    answers[rng.random(answers.shape) < 0.15] = 9
    answers[rng.random(answers.shape) < 0.1] = np.nan
    counts = rng.integers(1, 4, n_rows)
    return psu_of_row, weights, answers, counts


def looped(psu_of_row, weights, answers, counts):
    """The per-PSU sums by a loop over PSUs and criteria."""
    answered = np.isfinite(answers) & (answers >= 1) & (answers <= 5)
    satisfied = answered & (answers >= SATISFIED_FROM)
    totals = weights * counts
    fields = {
        name: np.zeros((N_PSUS, N_CRITERIA))
        for name in ("satisfied_weight", "answered_weight")
    }
    fields |= {
        name: np.zeros((N_PSUS, N_CRITERIA), dtype=np.int64)
        for name in ("satisfied_count", "answered_count")
    }
    for psu in range(N_PSUS):
        rows = psu_of_row == psu
        for k in range(N_CRITERIA):
            for flags, kind in ((satisfied, "satisfied"), (answered, "answered")):
                chosen = rows & flags[:, k]
                fields[f"{kind}_weight"][psu, k] = totals[chosen].sum()
                fields[f"{kind}_count"][psu, k] = counts[chosen].sum()
    return fields


@pytest.mark.parametrize("joint", [1, 2, 4])
def test_criteria_summed_together_give_the_loops_sums(monkeypatch, joint):
    monkeypatch.setattr(sums_module, "JOINT_CRITERIA", joint)
    data = records()
    found = criterion_sums(N_PSUS, *data[:3], counts=data[3])
    for name, expected in looped(*data).items():
        if name.endswith("_count"):
            np.testing.assert_array_equal(getattr(found, name), expected)
        else:
            np.testing.assert_allclose(getattr(found, name), expected, rtol=1e-13)


def test_a_pass_sums_as_many_criteria_as_keep_its_sums_small():
    width = sums_module._joint_width
    assert width(250, 22) == 4  # 250 PSUs × 81 joint classes
    assert width(1000, 22) == 3
    assert width(250, 2) == 2  # never more than there are criteria
    assert width(20_000, 22) == 1  # one criterion a pass: 60 000 sums already
