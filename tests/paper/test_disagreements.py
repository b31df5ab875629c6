"""A form's two entries compared in bulk: the list of forms to settle (paired in
one query, only those whose answers differ, oldest first, within the reader's
units), the per-surveyor figures and the forms not verified."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import PaperEntry, ResponseStatus, Role
from sipas.questionnaire.entry_keys import decode
from sipas.questionnaire.serials import format_serial
from sipas.services import accounts
from sipas.services.paper.entry import (
    NewEntry,
    disagreements,
    entries_of,
    response_uuid,
    save_entry,
    settle,
)
from sipas.services.paper.figures import set_counts_unverified, surveyor_figures
from sipas.services.questionnaires import parsed
from sipas.services.responses import store
from sipas.services.units.lookup import unit_by_code
from tests.entry_helpers import issue, typed_form
from tests.factories import demo_target


@pytest.fixture
def typists(demo_app):
    """Two surveyors of the province, and an administrator who typed nothing."""
    province = unit_by_code("QN")
    first, second = (
        accounts.create_user(name, "correct-horse-battery-1", Role.surveyor, province)
        for name in ("first-typist", "second-typist")
    )
    admin = accounts.create_user("reviewer", "correct-horse-battery-1", Role.admin)
    db.session.commit()
    return first, second, admin


def _typed_twice(unit, serial, first, second, *, overall=("4", "4"), reorder=False):
    """Form ``serial`` of ``unit`` issued and typed by the two typists (flushed)."""
    wave, _centre = demo_target()
    issue(wave, unit, serial)
    questionnaire = parsed(wave.questionnaire)
    for user, value in zip((first, second), overall, strict=True):
        answers = decode(questionnaire, typed_form(wave, overall=value)).answers
        if reorder and user is second:  # the same answers, stored in another order
            answers = dict(reversed(list(answers.items())))
        save_entry(NewEntry(wave, unit, format_serial(serial), answers, user))


def test_only_forms_whose_answers_differ_are_listed(typists):
    first, second, admin = typists
    centre = unit_by_code("QN-HALONG-TT")
    _typed_twice(centre, 1, first, second)
    _typed_twice(centre, 2, first, second, overall=("4", "5"))
    _typed_twice(centre, 3, first, second, reorder=True)
    stored = sa.select(sa.cast(PaperEntry.answers, sa.Text)).filter_by(serial=3)
    texts = db.session.scalars(stored.order_by(PaperEntry.round)).all()
    assert texts[0] != texts[1]  # form 3: the same answers, not the same text
    cases = disagreements(admin, None)
    assert [(case.serial, case.differences) for case in cases] == [(2, ["overall"])]
    assert (cases[0].first.entered_by, cases[0].second.entered_by) == (first, second)
    assert cases[0].unit == centre


def test_oldest_second_entry_first_and_settled_forms_gone(typists):
    first, second, admin = typists
    centre = unit_by_code("QN-HALONG-TT")
    for serial in (5, 6, 7):
        _typed_twice(centre, serial, first, second, overall=("3", "5"))
    cases = {case.serial: case for case in disagreements(admin, None)}
    # the second entry of form 7 typed first
    cases[7].second.submitted_at = cases[5].second.submitted_at - timedelta(hours=1)
    db.session.flush()
    assert [case.serial for case in disagreements(admin, None)] == [7, 5, 6]
    settle(cases[5], cases[5].first.answers, admin)
    assert [case.serial for case in disagreements(admin, None)] == [7, 6]


def test_a_reader_sees_the_forms_of_their_units_they_may_settle(typists):
    first, second, admin = typists
    halong, other = unit_by_code("QN-HALONG-TT"), unit_by_code("QN-TTHCC")
    _typed_twice(halong, 8, first, second, overall=("2", "4"))
    _typed_twice(other, 9, first, second, overall=("2", "4"))
    assert [case.serial for case in disagreements(admin, {other.id})] == [9]
    assert [case.serial for case in disagreements(admin, None)] == [8, 9]
    # a typist of a form may not settle it
    assert disagreements(first, None) == []


def test_surveyor_figures_compare_answers_not_their_order(typists):
    first, second, _admin = typists
    centre = unit_by_code("QN-HALONG-TT")
    _typed_twice(centre, 11, first, second)
    _typed_twice(centre, 12, first, second, reorder=True)
    _typed_twice(centre, 13, first, second, overall=("1", "2"))
    wave, _centre = demo_target()
    figures = {f.user: f for f in surveyor_figures(wave)}
    assert set(figures) == {first, second}
    typed = len(decode(parsed(wave.questionnaire), typed_form(wave)).answers)
    for figure in figures.values():
        assert (figure.forms, figure.double_entered, figure.disagreeing) == (3, 3, 1)
        assert (figure.differing_items, figure.compared_items) == (1, 3 * typed)


def test_turning_on_unverified_forms_counts_the_forms_not_verified(typists):
    first, second, admin = typists
    centre = unit_by_code("QN-HALONG-TT")
    wave, _centre = demo_target()
    _typed_twice(centre, 21, first, second)  # verified
    _typed_twice(centre, 22, first, second, reorder=True)  # verified: same answers
    _typed_twice(centre, 23, first, second, overall=("2", "3"))  # disagreeing
    _typed_twice(centre, 24, first, second, overall=("2", "3"))
    (settled,) = [c for c in disagreements(admin, None) if c.serial == 24]
    settle(settled, settled.first.answers, admin)
    issue(wave, centre, 25)  # entered once
    answers = decode(parsed(wave.questionnaire), typed_form(wave)).answers
    save_entry(NewEntry(wave, centre, format_serial(25), answers, first))
    assert not wave.counts_unverified_paper
    made = {
        serial: store.find_by_uuid(response_uuid(wave, serial)) for serial in (23, 25)
    }
    assert made == {23: None, 25: None}
    assert set_counts_unverified(wave, True, admin) == 2
    for serial in (23, 25):
        response = store.find_by_uuid(response_uuid(wave, serial))
        assert response is not None
        assert response.paper_serial == format_serial(serial)
        assert response.entered_by_id == first.id
        assert response.status is ResponseStatus.complete
        entry = entries_of(wave, serial)[1]
        assert entry.response_id == response.id
        typed = {a.item_code: a.value for a in response.answers}
        assert typed["overall"] == ("2" if serial == 23 else "4")
    # and off again: the same two no longer count
    assert set_counts_unverified(wave, False, admin) == 2
    for serial in (23, 25):
        response = store.find_by_uuid(response_uuid(wave, serial))
        assert response.status is ResponseStatus.flagged
