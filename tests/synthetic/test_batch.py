"""A whole batch of respondents drawn at once (numpy arrays per question): valid
answers, skip rules followed, the same generator state the same batch."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from sipas.questionnaire import validate_answers
from sipas.questionnaire.loader import load_file
from sipas.services.synthetic.batch import BLANK, BatchDrawer
from sipas.services.synthetic.model import DEFAULT_MODEL

FORMS = sorted((Path(__file__).parents[2] / "questionnaires").glob("*.yaml"))
UNITS = ["QN-TTHCC", "QN-TIENYEN-TT", "ELSEWHERE"]
CHANNELS = np.array(["web", "kiosk", "paper", "interview"] * 150)
#: careless respondents, to see their one answer everywhere
MODEL = dataclasses.replace(DEFAULT_MODEL, careless_share=0.1)


def draw(path: Path, seed: int):
    """600 respondents of the form at ``path``, and the drawer's criteria."""
    questionnaire = load_file(path).questionnaire
    drawer = BatchDrawer(questionnaire, MODEL, UNITS, current_round=True)
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, len(UNITS), len(CHANNELS))
    careless = rng.random(len(CHANNELS)) < MODEL.careless_share
    return questionnaire, drawer.draw(rng, unit, CHANNELS, careless), careless


def respondents(batch) -> list[dict[str, object]]:
    """Each respondent's answers as a submission would carry them, read from the
    JSON objects the batch stores."""
    return [
        json.loads(single) | (json.loads(chosen) if chosen else {})
        for single, chosen in batch.answer_texts()
    ]


def test_the_stored_objects_hold_the_batch_arrays_exactly():
    _questionnaire, batch, _careless = draw(FORMS[0], seed=5)
    read = respondents(batch)
    for code, column in batch.single.items():
        assert [answers.get(code, BLANK) for answers in read] == column.tolist()
    for code, (options, chosen) in batch.multiple.items():
        # a respondent who chose nothing has no answer (no empty list) and
        # the options keep their order
        expected = [
            [option for option, on in zip(options, row, strict=True) if on]
            for row in chosen.tolist()
        ]
        assert [answers.get(code, []) for answers in read] == expected
        assert all(answers.get(code) != [] for answers in read)
    assert 0 < sum(len(a) for a in read) < batch.size * len(batch.single)


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.stem)
def test_every_respondent_of_a_batch_answers_validly(path):
    questionnaire, batch, careless = draw(path, seed=7)
    answered = defaultdict(int)
    for answers in respondents(batch):
        validated = validate_answers(questionnaire, answers)
        assert validated.is_valid, validated.problems
        for code in answers:
            answered[code] += 1
    # skip rules hide questions from some, and nobody answers everything
    assert 0 < min(answered.values()) < batch.size
    # the careless give one answer to every criterion they see
    shown = batch.scores[careless]
    assert all(len(set(row[row > 0])) <= 1 for row in shown)
    assert len({len(set(row[row > 0])) for row in batch.scores[~careless]}) > 1
    assert (batch.answered() == [len(a) for a in respondents(batch)]).all()


def test_the_same_generator_state_draws_the_same_batch():
    first = draw(FORMS[0], seed=3)[1]
    again = draw(FORMS[0], seed=3)[1]
    other = draw(FORMS[0], seed=4)[1]
    assert first.answer_texts() == again.answer_texts()
    assert first.answer_texts() != other.answer_texts()
