"""File import of responses on the national form (sipas-2023): the round's own
export imported back gives the same results, and a three-way or need answer that
is not an option is named by row and column."""

from __future__ import annotations

import math

import pytest

from sipas.services.questionnaires import parsed
from sipas.services.results import exports
from tests.factories import make_national_wave
from tests.responses.test_imports import (
    as_imported,
    csv_file,
    diverse_responses,
    english,
    figures,
    forget_responses,
    make_row,
    restoring,
    run,
    stored_count,
)


def same_figures(first: object, second: object) -> bool:
    """``first`` and ``second`` equal, numbers to a relative 1e-9."""
    if isinstance(first, dict) and isinstance(second, dict):
        return first.keys() == second.keys() and all(
            same_figures(first[key], second[key]) for key in first
        )
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(
            same_figures(a, b) for a, b in zip(first, second, strict=True)
        )
    if isinstance(first, float) and isinstance(second, float):
        return math.isclose(first, second, rel_tol=1e-9)
    return first == second


@pytest.fixture
def wave(demo_app):
    return make_national_wave()


def test_the_export_imported_back_gives_the_same_results(wave, runner, tmp_path):
    diverse_responses(wave, 60)
    before, exported = figures(wave), exports.stats_csv(wave)
    path = tmp_path / "national.csv"
    written = runner.invoke(args=["sipas", "export", wave.code, "-o", str(path)])
    assert written.exit_code == 0, written.output
    assert "P1_N1" in path.read_text(encoding="utf-8-sig").splitlines()[0]
    forget_responses(wave)
    restoring(wave)
    result = runner.invoke(args=["sipas", "import", wave.code, str(path)])
    assert result.exit_code == 0, result.output
    assert stored_count(wave) == 60
    # the same figures; PostgreSQL may sum in another order, so the last bits
    # may differ (see `results`), and a 12-digit rounding can fall either way
    assert same_figures(figures(wave), before)
    assert exports.stats_csv(wave) == as_imported(exported)


def test_an_answer_outside_the_three_way_options_is_named(wave):
    questionnaire = parsed(wave.questionnaire)
    rows = [
        make_row(questionnaire),
        make_row(questionnaire, P3_N2="yes"),
        make_row(questionnaire, NC4="4"),
    ]
    report = run(wave, csv_file(rows))
    problems = english(report)
    assert [(row, column) for row, column, _m in problems] == [(3, "P3_N2"), (4, "NC4")]
    assert all("is not one of the options" in message for _r, _c, message in problems)
    assert stored_count(wave) == 0
