"""What the dashboard and the report show: a subtree's indices, the ranking of the
units below it, breakdowns, shares and the change since the previous wave."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Response
from sipas.services import synthetic
from sipas.services.results import compute, sums
from sipas.services.units.lineage import with_predecessors
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from sipas.stats.indices import Options
from tests.factories import filled_demo_wave, make_previous_wave, sample_whole_centres

CENTRES = ("QN-TTHCC", "QN-HALONG-TT", "QN-CAMPHA-TT", "QN-UONGBI-TT", "QN-TIENYEN-TT")


@pytest.fixture
def filled_wave(demo_app):
    return filled_demo_wave(900, seed=5)


def values(indices) -> list[float]:
    return [r.estimate.value for r in (*indices.criteria, *indices.factors)] + [
        indices.overall.estimate.value
    ]


def test_whole_wave_equals_the_wave_analysis(filled_wave):
    shown = compute.wave_results(filled_wave)
    analysis = sums.wave_analysis(filled_wave, Options())
    assert shown.responses == 900
    assert shown.responding_units == len(CENTRES)
    assert values(shown.indices) == pytest.approx(values(analysis.overall), nan_ok=True)
    assert shown.indices.overall.estimate.variance == pytest.approx(
        analysis.overall.overall.estimate.variance
    )


def test_a_subtree_is_a_domain_of_the_whole_design(filled_wave):
    """A commune holding one centre: the same estimate and SE as that centre's group
    of the by-unit breakdown (which the R oracle checks)."""
    shown = compute.wave_results(filled_wave, unit_by_code("QN-HALONG"))
    by_unit = sums.wave_analysis(filled_wave, Options(), by="unit")
    centre = next(g.indices for g in by_unit.groups if g.value == "QN-HALONG-TT")
    assert values(shown.indices) == pytest.approx(values(centre), nan_ok=True)
    assert shown.indices.overall.estimate.variance == pytest.approx(
        centre.overall.estimate.variance
    )
    assert shown.indices.overall.estimate.df == centre.overall.estimate.df
    expected = db.session.scalar(
        sa.select(sa.func.count()).where(
            Response.wave_id == filled_wave.id,
            Response.unit_id == unit_by_code("QN-HALONG-TT").id,
        )
    )
    assert shown.responses == expected
    assert [u.code for u in shown.breadcrumbs] == ["QN"]


def test_units_are_ranked_best_first_with_marks_where_they_cannot_be_told_apart(
    filled_wave,
):
    shown = compute.wave_results(filled_wave)
    # one province: the ranking goes down to the units below it
    ranked = shown.ranking
    assert {r.unit.code for r in ranked} == {
        "QN-TTHCC",
        "QN-HALONG",
        "QN-CAMPHA",
        "QN-UONGBI",
        "QN-TIENYEN",
    }
    overall = [r.overall.estimate.value for r in ranked]
    assert overall == sorted(overall, reverse=True)
    assert [r.rank for r in ranked] == [1, 2, 3, 4, 5]
    by_code = {r.unit.code: r for r in ranked}
    for r in ranked:
        for other in r.indistinguishable:
            assert r.unit.code in by_code[other].indistinguishable
    for r, following in zip(ranked, ranked[1:], strict=False):
        assert r.tied_with_next == (following.unit.code in r.indistinguishable)


def test_two_units_with_equal_answers_are_indistinguishable(demo_app):
    wave = wave_by_code("demo")
    wave.strata_level = None  # one stratum, responses as PSUs: a real test
    wave.psu_level = None
    synthetic.add_demo_responses(wave, 600, seed=2)
    db.session.flush()
    shown = compute.wave_results(wave)
    ranked = shown.ranking
    assert len(ranked) == 5
    # every pair is either distinguishable or not; the marks are symmetric and the
    # least different neighbours are the likeliest ties
    gaps = [
        a.overall.estimate.value - b.overall.estimate.value
        for a, b in zip(ranked, ranked[1:], strict=False)
    ]
    smallest = int(np.argmin(gaps))
    if any(r.tied_with_next for r in ranked):
        assert ranked[smallest].tied_with_next


def test_breakdowns_follow_the_questionnaire_order_with_labels(filled_wave):
    shown = compute.wave_results(
        filled_wave, channel_labels={"web": "Điện thoại / web"}
    )
    codes = [b.code for b in shown.breakdowns]
    assert codes[0] == "channel"
    assert {"sex", "age_group"} <= set(codes)
    ages = next(b for b in shown.breakdowns if b.code == "age_group")
    assert [row.value for row in ages.rows][:2] == ["18_25", "26_35"]
    assert ages.rows[0].label == "Từ 18 đến 25 tuổi"
    channel = next(b for b in shown.breakdowns if b.code == "channel")
    assert "Điện thoại / web" in [row.label for row in channel.rows]


def test_shares_of_a_subtree_count_only_its_responses(filled_wave):
    root = unit_by_code("QN-HALONG")
    shown = compute.wave_results(filled_wave, root)
    harassment = next(t for t in shown.perceptions if t.code == "harassment")
    n_answered = {s.estimate.n for s in harassment.shares}
    assert n_answered == {shown.responses}
    expectations = shown.expectations[0]
    shares = [s.estimate.value for s in expectations.shares]
    assert shares == sorted(shares, reverse=True)


def test_criteria_weakest_first(filled_wave):
    shown = compute.wave_results(filled_wave)
    weakest = [r.estimate.value for r in shown.criteria_weakest_first]
    assert weakest == sorted(weakest)
    assert len(weakest) == 22


def test_change_against_themake_previous_wave(filled_wave):
    filled_wave.starts_on = date(2026, 1, 1)
    previous = make_previous_wave(filled_wave, 500, seed=8)
    shown = compute.wave_results(filled_wave)
    assert shown.previous_wave == previous
    changes = {c.code: c for c in shown.changes}
    overall = dict(sums.compare_waves(filled_wave, previous, Options()))["overall"]
    assert changes["overall"].difference == overall
    assert changes["overall"].previous.estimate.n == 500


def test_a_draft_or_later_wave_is_not_the_previous_one(filled_wave):
    filled_wave.starts_on = date(2026, 1, 1)
    later = make_previous_wave(filled_wave, 50, seed=9)
    later.starts_on = date(2026, 6, 1)
    assert compute.previous_wave(filled_wave) is None
    assert compute.previous_wave(later) == filled_wave


def test_results_follow_a_merged_unit_to_its_successor(filled_wave):
    """Tiên Yên merged into Uông Bí: last wave's Tiên Yên responses count in Uông
    Bí's change."""
    filled_wave.starts_on = date(2026, 1, 1)
    previous = make_previous_wave(filled_wave, 500, seed=8)
    tien_yen, uong_bi = unit_by_code("QN-TIENYEN"), unit_by_code("QN-UONGBI")
    tien_yen.valid_to, tien_yen.successor = date(2026, 12, 31), uong_bi
    db.session.flush()
    followed = with_predecessors({uong_bi.id, unit_by_code("QN-UONGBI-TT").id})
    assert unit_by_code("QN-TIENYEN-TT").id in followed
    assert unit_by_code("QN-HALONG-TT").id not in followed
    shown = compute.wave_results(filled_wave, uong_bi)
    before = {c.code: c for c in shown.changes}["overall"].previous.estimate.n
    counts = dict(
        db.session.execute(
            sa.select(Response.unit_id, sa.func.count())
            .where(Response.wave_id == previous.id)
            .group_by(Response.unit_id)
        ).all()
    )
    assert (
        before
        == counts[unit_by_code("QN-UONGBI-TT").id]
        + counts[unit_by_code("QN-TIENYEN-TT").id]
    )


def test_units_that_are_single_sampling_units_are_never_called_alike(filled_wave):
    """The demo design samples whole centres (each ranked unit is one PSU): the
    design measures no error for any difference, so every pair is "cannot be
    compared", never "not distinguishable"."""
    sample_whole_centres(filled_wave)
    ranked = compute.wave_results(filled_wave).ranking
    codes = {r.unit.code for r in ranked}
    for r in ranked:
        assert r.indistinguishable == ()
        assert set(r.untestable) == codes - {r.unit.code}
        assert not r.tied_with_next
    assert [r.untestable_with_next for r in ranked] == [True] * 4 + [False]


def test_with_responses_as_sampling_units_every_pair_is_tested(demo_app):
    wave = wave_by_code("demo")
    wave.strata_level = None
    wave.psu_level = None
    synthetic.add_demo_responses(wave, 3000, seed=2)
    db.session.flush()
    ranked = compute.wave_results(wave).ranking
    assert all(r.untestable == () for r in ranked)
    different = sum(4 - len(r.indistinguishable) for r in ranked) // 2
    assert different > 0  # the units differ in quality (synthetic): some pairs show it
    for r, following in zip(ranked, ranked[1:], strict=False):
        assert r.tied_with_next == (following.unit.code in r.indistinguishable)
        assert not r.untestable_with_next
