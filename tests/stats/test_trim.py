"""Weight trimming agrees with R's trimWeights."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from sipas.stats.calibrate import CalibrationError, trim_weights

WEIGHTS = [3.0, 5.0, 40.0, 8.0, 90.0, 12.0, 7.0, 1.0]


def test_cut_weight_is_shared_by_the_others():
    trimmed = trim_weights(np.asarray(WEIGHTS), upper=30.0, lower=2.0)
    assert trimmed.sum() == pytest.approx(sum(WEIGHTS))
    assert trimmed[2] == 30.0
    assert trimmed[4] == 30.0
    assert trimmed[7] == 2.0


def test_strict_trimming_leaves_nothing_above():
    trimmed = trim_weights(np.asarray(WEIGHTS), upper=24.0, strict=True)
    assert trimmed.max() <= 24.0 + 1e-12
    assert trimmed.sum() == pytest.approx(sum(WEIGHTS))


def test_strict_trimming_refuses_an_impossible_cap():
    with pytest.raises(CalibrationError):
        trim_weights(np.asarray(WEIGHTS), upper=20.0, strict=True)


@pytest.mark.skipif(not shutil.which("Rscript"), reason="R is installed by make test")
def test_same_weights_as_r():
    script = (
        "suppressMessages(library(survey));"
        f"d <- data.frame(w = c({', '.join(map(str, WEIGHTS))}), y = 1);"
        "des <- svydesign(ids = ~1, weights = ~w, data = d);"
        "t <- trimWeights(des, upper = 20, lower = 2);"
        "cat(jsonlite::toJSON(as.numeric(weights(t)), digits = NA))"
    )
    completed = subprocess.run(
        ["Rscript", "-e", script], capture_output=True, text=True, check=True
    )
    expected = json.loads(completed.stdout)
    trimmed = trim_weights(np.asarray(WEIGHTS), upper=20.0, lower=2.0)
    np.testing.assert_allclose(trimmed, expected, rtol=1e-12)
