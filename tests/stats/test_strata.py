"""Variances from sums per stratum (sipas/stats/strata.py), where every PSU is one
response: the standard errors of the per-PSU values, as R's survey package gets
them, to 1e-10, however near a stratum's squares about its mean come to cancelling.
(A review by a helper session found errors of 5e-9 when the check was per stratum.)"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from fractions import Fraction

import numpy as np
import pytest

from sipas.stats import estimate as estimate_module
from sipas.stats import strata
from sipas.stats.design import LonelyPsu, LonelyPsuError, build_design
from sipas.stats.estimate import criterion_estimates
from sipas.stats.indices import FactorStructure, Options, compute_indices
from sipas.stats.sums import criterion_sums

#: What the engine promises against R on a standard error.
SE_TOLERANCE = 1e-10


@pytest.fixture(autouse=True)
def sums_per_stratum_for_any_stratum(monkeypatch):
    """The per-stratum arithmetic on these small designs, whatever their strata's
    average size (MIN_STRATUM_ROWS chooses the path for speed)."""
    monkeypatch.setattr(strata, "MIN_STRATUM_ROWS", 0)


def exact_ratio_se(strata_of_row, weights, satisfied, answered) -> float:
    """The standard error of Σw·s / Σw·a over strata whose PSUs are single
    responses, linearised and centred per stratum in exact arithmetic (each
    stratum has two or more responses)."""
    w = [Fraction(float(x)) for x in weights]
    y = sum(wi for wi, s in zip(w, satisfied, strict=True) if s)
    x = sum(wi for wi, a in zip(w, answered, strict=True) if a)
    ratio = y / x
    z = [
        wi * (int(s) - ratio * int(a)) / x
        for wi, s, a in zip(w, satisfied, answered, strict=True)
    ]
    variance = Fraction(0)
    for label in sorted(set(strata_of_row)):
        values = [v for v, h in zip(z, strata_of_row, strict=True) if h == label]
        n = len(values)
        mean = sum(values) / n
        variance += Fraction(n, n - 1) * sum((v - mean) ** 2 for v in values)
    return float(variance) ** 0.5


def pairs_answered_alike(seed: int, share: float):
    """Two strata of two responses, one stratum satisfied and one not, each pair's
    weights a hair apart: each stratum's squares about its mean, and so the
    variance, are ``share`` of what their terms give counted positive."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.5, 3.0, 2)
    ratio = base[0] / base.sum()
    # a satisfied response's value is w(1 - R)/X, its terms' size w(1 + R)/X
    spread = np.sqrt(share) * np.array([(1 + ratio) / (1 - ratio), 1.0])
    weights = (base[:, None] * (1 + spread[:, None] * np.array([-1.0, 1.0]))).ravel()
    return ["S0", "S0", "S1", "S1"], weights, np.array([[5.0], [5.0], [2.0], [2.0]])


@pytest.fixture
def remade(monkeypatch):
    """How many columns each call made again from per-PSU values."""
    columns: list[int] = []
    real = estimate_module.linearised_variances

    def counting(*args, **kwargs):
        columns.append(args[2].shape[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(estimate_module, "linearised_variances", counting)
    return columns


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    ("share", "from_sums"),
    [(1.1e-8, False), (0.5 * strata.CANCELLED, False), (2 * strata.CANCELLED, True),
     (1e-3, True)],
)  # fmt: skip
def test_strata_answered_nearly_alike_give_the_exact_standard_error(
    seed, share, from_sums, remade
):
    """Below CANCELLED the column is made from per-PSU values; just above it the
    sums per stratum still give the standard error to 1e-10."""
    strata_of_row, weights, answers = pairs_answered_alike(seed, share)
    design, psu_of_row = build_design(strata_of_row, ["r1", "r2", "r3", "r4"])
    sums = criterion_sums(design.n_psus, psu_of_row, weights, answers)
    assert sums.per_response
    assert strata.summed_per_stratum(design, sums)
    (estimate,) = criterion_estimates(design, sums, LonelyPsu.adjust)
    satisfied, answered = answers[:, 0] >= 4, answers[:, 0] > 0
    exact = exact_ratio_se(strata_of_row, weights, satisfied, answered)
    assert estimate.se == pytest.approx(exact, rel=SE_TOLERANCE, abs=0)
    assert (remade == []) is from_sums


@pytest.mark.parametrize("rule", [LonelyPsu.certainty, LonelyPsu.average])
def test_a_lonely_stratum_the_rule_sets_aside_keeps_the_sums_per_stratum(
    rule, remade, monkeypatch
):
    """A lonely stratum's squares about its mean, z² - z², are a rounding of zero;
    under certainty and average it adds nothing of its own to a variance, so it
    sends no column to per-PSU values (it sent nearly all)."""
    rng = np.random.default_rng(1)
    n = 400
    labels = ["lonely"] + [f"S{int(s)}" for s in rng.integers(0, 20, n - 1)]
    design, psu_of_row = build_design(labels, [f"r{i}" for i in range(n)])
    answers = rng.integers(1, 6, (n, 4)).astype(float)
    weights = rng.uniform(0.5, 3.0, n)
    sums = criterion_sums(design.n_psus, psu_of_row, weights, answers)
    from_sums = criterion_estimates(design, sums, rule)
    assert remade == []
    monkeypatch.setattr(strata, "MAX_STRATUM_SUMS", -1)  # the per-PSU path
    sums = criterion_sums(design.n_psus, psu_of_row, weights, answers)
    per_psu = criterion_estimates(design, sums, rule)
    for mine, theirs in zip(from_sums, per_psu, strict=True):
        assert mine.se == pytest.approx(theirs.se, rel=SE_TOLERANCE, abs=0)


@pytest.mark.parametrize("from_sums", [True, False])
def test_fail_names_the_same_lonely_stratum_on_either_path(from_sums, monkeypatch):
    """Two lonely strata, each answering one criterion only: `fail` names the
    first in the design's order, whichever criteria are worked out first (the
    per-PSU path works them out two at a time and named the other)."""
    labels = ["L1", "L2"] + ["S"] * 10
    design, psu_of_row = build_design(labels, [f"r{i}" for i in range(len(labels))])
    answers = np.full((len(labels), 6), 5.0)
    answers[0] = [9, 9, 9, 9, 9, 5]  # L1: the last criterion only
    answers[1] = [5, 9, 9, 9, 9, 9]  # L2: the first only
    weights = np.linspace(1, 2, len(labels))
    if not from_sums:
        monkeypatch.setattr(strata, "MAX_STRATUM_SUMS", -1)
    sums = criterion_sums(design.n_psus, psu_of_row, weights, answers)
    with pytest.raises(LonelyPsuError) as raised:
        criterion_estimates(design, sums, LonelyPsu.fail)
    assert raised.value.stratum == "L1"


# --- against R: a design whose PSUs are single responses ---------------------

R_SCRIPT = r"""
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
options(survey.lonely.psu = args[2])
criteria <- strsplit(args[3], ",")[[1]]
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
se <- sapply(criteria, function(k) {
  sub <- subset(des, des$variables[[paste0("x_", k)]] == 1)
  unname(SE(svymean(as.formula(paste0("~y_", k)), sub)))
})
vars <- unlist(lapply(criteria, function(k) c(paste0("y_", k), paste0("x_", k))))
tot <- svytotal(as.formula(paste("~", paste(vars, collapse = "+"))), des)
expr <- paste0("(", paste(sprintf("y_%s/x_%s", criteria, criteria), collapse = "+"),
               ")/", length(criteria))
overall <- unname(SE(svycontrast(tot, parse(text = expr)[[1]])))
cat(toJSON(list(criteria = unname(se), overall = overall), digits = NA))
"""


@pytest.mark.skipif(not shutil.which("Rscript"), reason="R is not installed")
@pytest.mark.parametrize(
    "rule", [LonelyPsu.adjust, LonelyPsu.certainty, LonelyPsu.average]
)
def test_per_response_design_agrees_with_r(tmp_path, rule):
    """Lonely strata, weights from 0.01 to 100, a PSU per response: the criteria's
    and the overall index's standard errors are R's (the other R tests cluster)."""
    rng = np.random.default_rng(11)
    n, codes = 300, ("A1", "A2", "B1", "B2")
    labels = ["L1", "L2"] + [f"S{int(s):02d}" for s in rng.integers(0, 30, n - 2)]
    design, psu_of_row = build_design(labels, [f"r{i}" for i in range(n)])
    answers = rng.integers(1, 6, (n, len(codes))).astype(float)
    answers[rng.random(answers.shape) < 0.15] = 9
    answers[:2, 0] = 5  # the lonely strata answered the first criterion
    weights = 10 ** rng.uniform(-2, 2, n)
    sums = criterion_sums(design.n_psus, psu_of_row, weights, answers)
    assert sums.per_response
    assert strata.summed_per_stratum(design, sums)
    options = Options(lonely_psu=rule)
    factors = (FactorStructure("F", codes),)
    indices = compute_indices(design, sums, codes, factors, options)

    path = tmp_path / "data.csv"
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            ["stratum", "psu", "w"] + [f"{p}_{c}" for c in codes for p in ("y", "x")]
        )
        for i in range(n):
            flags = []
            for k in range(len(codes)):
                a = answers[i, k]
                flags += [int(1 <= a <= 5 and a >= 4), int(1 <= a <= 5)]
            out.writerow([labels[i], f"r{i}", repr(float(weights[i])), *flags])
    script = tmp_path / "oracle.R"
    script.write_text(R_SCRIPT)
    completed = subprocess.run(
        ["Rscript", str(script), str(path), str(rule), ",".join(codes)],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(completed.stdout)
    for mine, se in zip(indices.criteria, theirs["criteria"], strict=True):
        assert mine.estimate.se == pytest.approx(se, rel=SE_TOLERANCE, abs=0)
    assert indices.overall.estimate.se == pytest.approx(
        theirs["overall"][0], rel=SE_TOLERANCE, abs=0
    )
