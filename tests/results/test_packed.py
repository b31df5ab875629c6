"""Packed choices: every way of storing a response packs what its rows hold, and
the counts made from them are those of the answer rows, row for row."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Channel, Response, ResponseStatus
from sipas.questionnaire import ItemType
from sipas.questionnaire.choices import choice_layout, pack_choices
from sipas.services.questionnaires import parsed
from sipas.services.responses import store as responses
from sipas.services.results import shares
from sipas.services.results.packed import ChoiceReader, packed_choices
from tests.factories import demo_target, filled_demo_wave, make_response, valid_answers
from tests.results.test_sums import assert_same, unpack

#: Choice questions of the demo questionnaire, one of them a multiple choice.
ITEMS = ["harassment", "trips", "expectations", "sex"]


@pytest.fixture
def filled_wave(demo_app):
    return filled_demo_wave(400, seed=5)


def packed_from_rows(wave) -> dict[int, bytes | None]:
    """Each response's choices packed from its stored answer rows."""
    questionnaire = parsed(wave.questionnaire)
    answers: dict[int, dict] = {}
    for response_id, code, value in db.session.execute(
        sa.select(Answer.response_id, Answer.item_code, Answer.value)
        .join(Response)
        .where(Response.wave_id == wave.id)
        .order_by(Answer.response_id, Answer.item_code, Answer.value)
    ):
        given = answers.setdefault(response_id, {})
        if questionnaire.item(code).type is ItemType.multi_choice:
            given[code] = (*given.get(code, ()), value)
        else:
            given[code] = value
    layout = choice_layout(questionnaire)
    ids = db.session.scalars(sa.select(Response.id).filter_by(wave_id=wave.id))
    return {i: pack_choices(layout, answers.get(i, {})) for i in ids}


def stored_packed(wave) -> dict[int, bytes | None]:
    rows = db.session.execute(
        sa.select(Response.id, Response.choice_codes).filter_by(wave_id=wave.id)
    )
    return {response_id: packed for response_id, packed in rows}


def test_demo_responses_pack_what_their_rows_hold(filled_wave):
    stored = stored_packed(filled_wave)
    assert len(stored) == 400
    assert None not in stored.values()
    assert stored == packed_from_rows(filled_wave)


def test_recorded_responses_pack_what_their_rows_hold(demo_app):
    wave, unit = demo_target()
    questionnaire = parsed(wave.questionnaire)
    make_response(answers={**valid_answers(questionnaire), "sex": "female"})
    batch = [
        (
            responses.Submission(uuid.uuid4(), wave, unit, Channel.kiosk),
            {**valid_answers(questionnaire), "trips": trips},
        )
        for trips in ("1", "3", "4plus")
    ]
    assert len(responses.record_many(batch)) == 3
    stored = stored_packed(wave)
    assert len(stored) == 4
    assert None not in stored.values()
    assert stored == packed_from_rows(wave)


def rows_of(counts) -> list[tuple]:
    """The counted rows, sorted."""
    columns = (counts.unit, counts.key, counts.item, counts.value, counts.count)
    return sorted(zip(*(c.tolist() for c in columns), strict=True), key=repr)


@pytest.mark.parametrize("per_response", [False, True])
@pytest.mark.parametrize("within", [None, "two units"])
def test_counts_from_packed_choices_are_those_of_the_rows(
    filled_wave, per_response, within
):
    units = None
    if within:
        units = set(
            db.session.scalars(
                sa.select(Response.unit_id).filter_by(wave_id=filled_wave.id).limit(1)
            )
        ) | {max(wu.unit_id for wu in filled_wave.wave_units)}
    multiple = ["expectations"]
    packed = ChoiceReader(filled_wave).of(units)
    assert packed is not None
    got = shares._packed_counts(packed, ITEMS, per_response)
    expected = shares._row_counts(filled_wave, ITEMS, multiple, per_response, units)
    for mine, theirs in zip(got, expected, strict=True):
        # the same rows (PostgreSQL returns groups in an order of its own)
        assert rows_of(mine) == rows_of(theirs)
        if db.engine.dialect.name == "sqlite":  # in the order SQLite gives them
            assert mine.unit.tolist() == theirs.unit.tolist()
            assert mine.value.tolist() == theirs.value.tolist()
    assert len(got[0].unit) > 0
    if units is not None:
        assert set(got[0].unit.tolist()) <= units


def test_a_response_without_packed_choices_sends_its_wave_to_the_rows(filled_wave):
    before = shares.wave_shares(filled_wave, ITEMS, shares.Options())
    one = db.session.scalar(
        sa.select(Response.id).filter_by(
            wave_id=filled_wave.id, status=ResponseStatus.complete
        )
    )
    db.session.execute(
        sa.update(Response).where(Response.id == one).values(choice_codes=None)
    )
    assert packed_choices(filled_wave) is None
    assert shares.wave_shares(filled_wave, ITEMS, shares.Options()) == before


def test_the_results_from_packed_choices_are_those_of_the_rows(filled_wave):
    """The whole results (breakdowns by respondent questions, perception shares,
    expectation rankings, headline shares) equal those read from the rows."""
    from sipas.services.results.dashboard import compute_results
    from sipas.services.results.exports import results_json

    packed = json.loads(results_json(compute_results(filled_wave, None)))
    db.session.execute(
        sa.update(Response)
        .where(Response.wave_id == filled_wave.id)
        .values(choice_codes=None)
    )
    # equal up to the order of floating-point sums (PostgreSQL groups the answer
    # rows in an order of its own)
    assert_same(packed, json.loads(results_json(compute_results(filled_wave, None))))
    assert packed["key_shares"]


def test_the_stats_csv_from_packed_choices_is_that_of_the_rows(
    filled_wave, monkeypatch
):
    """The downloads read a batch's choices and scales from packed choices (the
    rows only for free text); the file is byte for byte the one from the rows."""
    from sipas.services.results import exports

    unpacked: list[int] = []
    real = exports.answers_of

    def counting(response_ids, kinds, packed=None):
        found = real(response_ids, kinds, packed)
        if found.columns:  # read from the packed choices
            unpacked.append(len(response_ids))
        return found

    monkeypatch.setattr(exports, "answers_of", counting)
    packed = exports.stats_csv(filled_wave)
    rows = list(csv.reader(io.StringIO(packed)))
    assert sum(unpacked) == len(rows) - 1 > 0  # every response, not the header
    unpack(filled_wave)
    unpacked.clear()
    from_rows = exports.stats_csv(filled_wave)
    assert unpacked == []
    assert packed == from_rows
    assert ";" in packed  # multiple choices joined


def test_each_responses_answers_from_packed_choices_are_those_of_the_rows(
    filled_wave, demo_app
):
    """The workbook's and Parquet's view (a dict per response): a question left
    unanswered (here the multiple choice) is left out, as from the rows, and the
    workbook is made."""
    from sipas.services.results import dashboard, exports, workbook

    questionnaire = parsed(filled_wave.questionnaire)
    answers = valid_answers(questionnaire)
    del answers["expectations"]  # not required
    skipped = make_response(answers=answers).response.id
    db.session.commit()

    def per_response() -> dict[int, dict]:
        return {
            response.id: answers[response.id]
            for responses, answers in exports.counted_batches(filled_wave)
            for response in responses
        }

    packed = per_response()
    assert "expectations" not in packed[skipped]
    with demo_app.test_request_context():
        results = dashboard.compute_results(filled_wave, None)
        assert b"".join(
            workbook.results_workbook(results, None, {})
        )  # no None to label
    unpack(filled_wave)
    assert per_response() == packed
