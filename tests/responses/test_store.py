"""The submission service: validation, one transaction, idempotency by UUID."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Response, WaveStatus
from sipas.questionnaire import ProblemKind
from sipas.services.questionnaires import parsed
from sipas.services.responses import store
from tests.factories import demo_target, make_response, valid_answers


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Response)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Answer)),
    )


def test_record_stores_response_and_one_row_per_value(demo_app):
    recorded = make_response()
    db.session.commit()
    assert recorded.is_new
    wave, _unit = demo_target()
    answers = valid_answers(parsed(wave.questionnaire))
    expected_rows = sum(len(v) if isinstance(v, list) else 1 for v in answers.values())
    assert counts() == (1, expected_rows)


def test_same_uuid_twice_stores_one_response(demo_app):
    form_uuid = uuid.uuid4()
    first = make_response(response_uuid=form_uuid)
    db.session.commit()
    second = make_response(response_uuid=form_uuid)
    db.session.commit()
    assert not second.is_new
    assert second.response.id == first.response.id
    assert counts()[0] == 1


def test_concurrent_duplicate_is_caught_by_the_unique_constraint(demo_app, monkeypatch):
    form_uuid = uuid.uuid4()
    make_response(response_uuid=form_uuid)
    db.session.commit()
    # Pretend the first lookup missed, as when another request commits in between.
    real_find = store.find_by_uuid
    calls = []

    def late_find(value):
        calls.append(value)
        return None if len(calls) == 1 else real_find(value)

    monkeypatch.setattr(store, "find_by_uuid", late_find)
    again = make_response(response_uuid=form_uuid)
    db.session.commit()
    assert not again.is_new
    assert counts()[0] == 1


def test_invalid_answers_store_nothing(demo_app):
    wave, _unit = demo_target()
    answers = valid_answers(parsed(wave.questionnaire))
    answers["A1"] = "7"
    del answers["B1"]
    with pytest.raises(store.InvalidAnswers) as caught:
        make_response(answers=answers)
    kinds = {(p.item_code, p.kind) for p in caught.value.problems}
    assert ("A1", ProblemKind.not_a_choice) in kinds
    assert ("B1", ProblemKind.required) in kinds
    db.session.rollback()
    assert counts() == (0, 0)


def test_failure_half_way_leaves_nothing(demo_app, monkeypatch):
    """An error while the answers are written rolls back the response too."""
    original = store._new_response

    def broken(submission, answers):
        response = original(submission, answers)
        response.answers.append(Answer(item_code="A1", value="4"))  # duplicate key
        return response

    monkeypatch.setattr(store, "_new_response", broken)
    with pytest.raises(sa.exc.IntegrityError):
        make_response()
    db.session.rollback()
    assert counts() == (0, 0)


def test_closed_wave_refuses(demo_app):
    wave, _unit = demo_target()
    wave.status = WaveStatus.closed
    db.session.flush()
    with pytest.raises(store.SubmissionRefused):
        make_response()


def test_unit_outside_the_wave_refuses(demo_app):
    with pytest.raises(store.SubmissionRefused):
        make_response(unit_code="QN-HALONG")


def test_receipt_code_is_short_stable_and_readable():
    value = uuid.UUID("12345678-1234-4234-8234-123456789abc")
    code = store.receipt_code(value)
    assert code == store.receipt_code(value)
    assert len(code) == 11
    assert code[5] == "-"
    assert not set(code) & set("ILOU")
    assert code != store.receipt_code(uuid.uuid4())
