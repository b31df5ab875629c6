"""What the first screen of the results rests on: each unit against its scope (the
ranking's marks and the heat map's cells), the headline perception shares and the
trend across rounds, followed through merged units."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Response, UnitLevel, Wave, WaveStatus
from sipas.reports.wave_results import OVERALL
from sipas.services.results import compute, sums
from sipas.services.units.lookup import unit_by_code
from sipas.stats.compare import Standing, domain_difference
from tests.factories import make_exit_survey


@pytest.fixture
def survey(demo_app) -> Wave:
    """A round of the fixture province whose centres differ clearly."""
    return make_exit_survey("tn-2026", date(2026, 3, 1))


def keep_psu_values(monkeypatch) -> None:
    """Results computed as they are, their estimates keeping the per-PSU values
    that the comparisons take (the results drop them once compared)."""
    for module in (compute, sums):
        monkeypatch.setattr(module, "without_psu_values", lambda indices, **_: indices)


def test_units_stand_above_or_below_the_scope_as_tested(survey, monkeypatch):
    keep_psu_values(monkeypatch)
    results = compute.wave_results(survey)
    by_code = {r.unit.code: r for r in results.ranking}
    assert by_code["TN-TTHCC"].standing() is Standing.above
    assert by_code["TN-TAYLAM"].standing() is Standing.below
    data = sums.wave_data(survey)
    for ranked in results.ranking:
        for unit_result in (*ranked.indices.criteria, ranked.overall):
            scope_result = (
                results.indices.overall
                if unit_result.code == OVERALL
                else next(
                    c for c in results.indices.criteria if c.code == unit_result.code
                )
            )
            difference = domain_difference(
                data.design, unit_result.estimate, scope_result.estimate
            )
            expected = (
                Standing.not_different
                if not difference.is_significant
                else (Standing.above if difference.value > 0 else Standing.below)
            )
            assert ranked.standing(unit_result.code) is expected


def test_results_keep_no_per_psu_values_once_compared(survey, monkeypatch):
    """A million responses that are their own PSUs made each estimate 9 MB of
    per-PSU values, kept to the end: 2 GB in the results of such a round."""
    bare = compute.wave_results(survey)
    keep_psu_values(monkeypatch)
    full = compute.wave_results(survey)
    assert bare.ranking
    assert bare.breakdowns
    for part in ("indices", "ranking", "breakdowns", "changes", "trend"):
        assert getattr(bare, part) == getattr(full, part)  # the same figures

    def estimates(results):
        for indices in (
            results.indices,
            *(r.indices for r in results.ranking),
            *(g.indices for b in results.breakdowns for g in b.rows),
        ):
            yield from (r.estimate for r in (*indices.criteria, *indices.factors))
            if indices.tree is not None:
                yield from (node.estimate for node in indices.tree.walk())

    assert all(e.psu_totals is not None for e in estimates(full))
    assert all(e.psu_totals is None and e.psu_has_rows is None for e in estimates(bare))
    overall = bare.indices.overall.estimate  # which PSUs hold rows: for the JSON
    assert overall.psu_totals is None
    assert overall.psu_has_rows is not None
    assert (
        overall.psu_has_rows.sum() == full.indices.overall.estimate.psu_has_rows.sum()
    )


def test_the_heat_map_marks_the_weak_centre_below_on_most_criteria(survey):
    results = compute.wave_results(survey)
    weak = next(r for r in results.ranking if r.unit.code == "TN-TAYLAM")
    below = [c.code for c in weak.indices.criteria if weak.standing(c.code) == "below"]
    assert len(below) > len(weak.indices.criteria) / 2
    best = next(r for r in results.ranking if r.unit.code == "TN-TTHCC")
    assert not any(best.standing(c.code) == "below" for c in best.indices.criteria)


def test_centres_that_are_whole_psus_cannot_be_tested_against_the_scope(survey):
    survey.strata_level, survey.psu_level = UnitLevel.province, UnitLevel.centre
    db.session.flush()
    results = compute.wave_results(survey)
    assert results.ranking
    for ranked in results.ranking:
        assert set(ranked.standings.values()) == {Standing.untestable}


def test_the_headline_shares_are_the_perception_answers(survey):
    results = compute.wave_results(survey)
    assert [k.code for k in results.key_shares] == [
        "harassment",
        "unofficial_payment",
        "late",
        "trips",
    ]
    shares = sums.wave_shares(
        survey, ["harassment", "on_time", "trips"], results.options
    )

    def share(item: str, option: str) -> float:
        return next(s.estimate.value for s in shares[item] if s.option == option)

    found = {k.code: k for k in results.key_shares}
    assert found["harassment"].share.estimate.value == pytest.approx(
        share("harassment", "yes")
    )
    assert found["late"].share.estimate.value == pytest.approx(share("on_time", "late"))
    # more than two trips: the two options counted as one share, with its interval
    trips = found["trips"].share
    assert trips.estimate.value == pytest.approx(
        share("trips", "3") + share("trips", "4plus")
    )
    assert trips.interval.lower < trips.estimate.value < trips.interval.upper
    question = survey.questionnaire.definition
    assert found["trips"].question in str(question)
    assert found["trips"].answers == ("3 lần", "Trên 3 lần")


def test_the_trend_follows_a_merged_unit(survey):
    """In the two earlier rounds Tây Lâm's centre was its own; it has since merged
    into Nam Thành's. Nam Thành's trend counts Tây Lâm's old responses."""
    make_exit_survey("tn-2024", date(2024, 3, 1), 40, seed=5, shift=-0.05)
    old = make_exit_survey("tn-2025", date(2025, 3, 1), 30, seed=6, shift=-0.02)
    nam_thanh, tay_lam = unit_by_code("TN-NAMTHANH"), unit_by_code("TN-TAYLAM")
    tay_lam.valid_to, tay_lam.successor = date(2025, 12, 31), nam_thanh
    db.session.flush()
    results = compute.wave_results(survey, nam_thanh)
    assert [p.wave.code for p in results.trend] == ["tn-2024", "tn-2025", "tn-2026"]
    # earlier rounds: both centres; this round: Nam Thành alone (Tây Lâm's own
    # responses this round are not Nam Thành's)
    assert [p.indices.overall.estimate.n for p in results.trend] == [80, 60, 150]
    assert results.trend[-1].indices == results.indices
    assert results.previous_wave == old
    change = results.change_of(OVERALL)
    assert change is not None
    assert change.previous == results.trend[1].indices.overall
    whole = compute.wave_results(survey)
    assert [p.indices.overall.estimate.n for p in whole.trend] == [200, 150, 750]


def test_rounds_of_another_questionnaire_or_drafts_are_not_in_the_trend(survey):
    make_exit_survey("tn-draft", date(2025, 3, 1), 10, status=WaveStatus.draft)
    results = compute.wave_results(survey)
    assert [p.wave.code for p in results.trend] == ["tn-2026"]
    assert results.changes == ()


def test_a_unit_without_responses_in_the_earlier_round_has_no_change(survey):
    old = make_exit_survey("tn-2025", date(2025, 3, 1), 30, seed=6)
    bac_son = unit_by_code("TN-BACSON")
    db.session.execute(
        sa.delete(Response).where(
            Response.wave_id == old.id, Response.unit_id == bac_son.id
        )
    )
    db.session.flush()
    results = compute.wave_results(survey, bac_son)
    assert [p.wave.code for p in results.trend] == ["tn-2026"]
    assert results.change_of(OVERALL) is None
    assert compute.wave_results(survey).change_of(OVERALL) is not None
