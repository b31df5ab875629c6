"""Draw one synthetic respondent's answers from the model (plain Python, no database).

Every item of the questionnaire gets an answer the model knows how to give (scale
criteria, the filter before factor E, perceptions, the procedure, the respondent);
an item it does not know gets a random valid answer, so a new questionnaire
version still works. Skip rules are followed: a hidden item gets no answer.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

from sipas.questionnaire import AnswerValue, Item, ItemType, Questionnaire
from sipas.services.synthetic.model import DEFAULT_MODEL, ResponseModel, logit

#: Comments now and then left by respondents (anonymous, no personal data).
COMMENTS = (
    "Cán bộ hướng dẫn tận tình, chu đáo.",
    "Nơi chờ hơi chật vào buổi sáng.",
    "Mong rút ngắn thời gian giải quyết hồ sơ đất đai.",
    "Máy lấy số thứ tự đôi khi bị lỗi.",
    "Nên có thêm hướng dẫn nộp hồ sơ trực tuyến.",
    "Rất hài lòng với thái độ phục vụ.",
)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class _Mix:
    """Codes with weights, ready to draw from (cumulative weights made once)."""

    __slots__ = ("codes", "total", "cumulative")

    def __init__(self, mix: Mapping[str, float]) -> None:
        self.codes = list(mix)
        self.cumulative = list(itertools.accumulate(mix.values()))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> str:
        """One code, drawn with its weight."""
        return self.codes[bisect.bisect(self.cumulative, rng.random() * self.total)]


@functools.lru_cache(maxsize=256)
def _mix(mix: tuple[tuple[str, float], ...]) -> _Mix:
    return _Mix(dict(mix))


def pick(rng: random.Random, mix: Mapping[str, float]) -> str:
    """One code of ``mix``, drawn with its weight."""
    return _mix(tuple(mix.items())).draw(rng)


@dataclass(frozen=True)
class Respondent:
    """Who answers: where, how, in which round, and whether carelessly."""

    unit_code: str
    channel: str
    current_round: bool
    careless: bool = False


class Drawer:
    """Draws answers for one questionnaire under one model."""

    def __init__(
        self, questionnaire: Questionnaire, model: ResponseModel = DEFAULT_MODEL
    ) -> None:
        self.questionnaire = questionnaire
        self.model = model
        self.base = {
            item.code: logit(model.criterion_base.get(item.code, 0.85))
            for item in questionnaire.criteria
        }
        #: (item, skip rule's target, values showing it, is a criterion), in order
        self.plan = [
            (
                item,
                item.show_if.item if item.show_if else None,
                frozenset(item.show_if.values) if item.show_if else frozenset(),
                item.is_criterion,
            )
            for item in questionnaire.items
        ]
        self.criteria = tuple(item.code for item in questionnaire.criteria)

    def draw(
        self, rng: random.Random, who: Respondent, extra_shift: float = 0.0
    ) -> dict[str, AnswerValue]:
        """One respondent's answers, skip rules applied."""
        model = self.model
        mood = rng.gauss(0.0, model.disposition_sd)
        state = _State(rng, who, mood, model)
        state.shift += extra_shift + model.centre_shift(
            who.unit_code, who.current_round
        )
        state.shift += model.channel.get(who.channel, 0.0)
        answers: dict[str, AnswerValue] = {}
        for item, target, showing, is_criterion in self.plan:
            if target is not None and not _shown(answers.get(target, ()), showing):
                continue
            value: AnswerValue
            if is_criterion:
                value = state.criterion(item.code, self.base[item.code])
            else:
                value = self._answer(item, state, answers)
            if value not in ("", ()):
                answers[item.code] = value
        return answers

    def _answer(self, item: Item, state: _State, answers: dict) -> AnswerValue:
        if item.code == "overall":
            return state.overall()
        special = state.special(item.code, answers)
        if special is not None:
            return special
        return _any_answer(item, state.rng)


class _State:
    """What one respondent carries from answer to answer."""

    def __init__(
        self, rng: random.Random, who: Respondent, mood: float, model: ResponseModel
    ) -> None:
        self.rng, self.who, self.mood, self.model = rng, who, mood, model
        self.shift = 0.0
        self.late = False
        self.very = rng.betavariate(*model.very_satisfied_beta)
        self.same = rng.choice(("3", "4", "5")) if who.careless else None
        self.satisfied: list[bool] = []
        # who the respondent is moves every answer, though asked last
        self.groups = {code: self._group(code) for code in model.group_mix}

    def criterion(self, code: str, base: float) -> str:
        """A 1–5 (or 9) answer to a criterion."""
        model, rng = self.model, self.rng
        if self.same is not None:
            return self.same
        if rng.random() < model.not_applicable.get(code, 0.005):
            return "9"
        odds = base + self.shift + self.mood
        odds += model.centre_criterion.get(self.who.unit_code, {}).get(code, 0.0)
        if self.late:
            odds += model.late_effect.get(code, 0.0)
        if self.who.current_round:
            odds += model.criterion_round_change.get(code, 0.0)
        satisfied = rng.random() < _sigmoid(odds)
        self.satisfied.append(satisfied)
        if satisfied:
            return "5" if rng.random() < self.very else "4"
        return _mix(tuple(zip("123", model.dissatisfied_mix, strict=True))).draw(rng)

    def overall(self) -> str:
        """Overall satisfaction, in line with the criteria answered."""
        if self.same is not None:
            return self.same
        share = sum(self.satisfied) / len(self.satisfied) if self.satisfied else 0.8
        if self.rng.random() < share:
            return "5" if self.rng.random() < self.very else "4"
        return self.rng.choice(("2", "3", "3"))

    def special(self, code: str, answers: dict) -> AnswerValue | None:
        """Answers the model shapes itself; None for the rest."""
        model, rng = self.model, self.rng
        if code in self.groups:
            return self.groups[code]
        if code == "field":
            value = pick(rng, model.field_mix)
            self.shift += model.field_effect.get(value, 0.0)
            return value
        if code == "submission_channel":
            return (
                "online"
                if self.who.channel == "web" and rng.random() < 0.5
                else (pick(rng, model.submission_mix))
            )
        if code == "trips":
            value = pick(rng, model.trips_mix)
            self.shift += model.trips_effect[value]
            return value
        if code == "on_time":
            value = pick(rng, model.timeliness_mix)
            self.late = value == "late"
            return value
        if code == "apology":
            return "yes" if rng.random() < model.apology_share else "no"
        if code == "E_filter":
            odds = logit(model.feedback_share) - model.feedback_mood * self.mood
            return "yes" if rng.random() < _sigmoid(odds) else "no"
        if code in model.perception_base:
            return self._perception(code)
        if code == "expectations":
            return self._expectations()
        if code == "comment":
            return rng.choice(COMMENTS) if rng.random() < model.comment_share else ""
        return None

    def _group(self, code: str) -> str:
        model, rng = self.model, self.rng
        if rng.random() < model.group_blank:
            return ""
        mix = dict(model.group_mix[code])
        if code == "ethnicity" and self.who.unit_code in model.rural_centres:
            share = model.rural_minority_share
            mix = {"kinh": 1 - share, "minority": share}
        value = pick(rng, mix)
        self.shift += model.group.get(code, {}).get(value, 0.0)
        return value

    def _perception(self, code: str) -> str:
        model = self.model
        odds = logit(model.perception_base[code]) - model.perception_mood * self.mood
        odds += model.perception_centre.get(self.who.unit_code, 0.0)
        return "yes" if self.rng.random() < _sigmoid(odds) else "no"

    def _expectations(self) -> tuple[str, ...]:
        weights = self.model.expectation_weights
        chosen = [code for code, share in weights.items() if self.rng.random() < share]
        return tuple(chosen[:3]) or (pick(self.rng, weights),)


def _shown(value: AnswerValue | tuple, showing: frozenset[str]) -> bool:
    """A skip rule holds: the target's answer is one of ``showing`` (an unanswered
    or hidden target hides the item)."""
    if isinstance(value, str):
        return value in showing
    return not showing.isdisjoint(value)


def _any_answer(item: Item, rng: random.Random) -> AnswerValue:
    """A valid answer to an item the model does not know."""
    if item.type is ItemType.scale:
        return rng.choice(("3", "4", "4", "5"))
    if item.type is ItemType.multi_choice:
        size = rng.randint(1, item.max_choices or 1)
        return tuple(rng.sample(list(item.choice_codes), size))
    if item.type in (ItemType.text, ItemType.number):
        return ""
    return rng.choice(list(item.choice_codes))


def synthetic_answers(
    questionnaire: Questionnaire, rng: random.Random, quality: float
) -> dict[str, AnswerValue]:
    """One plausible, valid set of answers; ``quality`` (about 3–4.6, 4 = average)
    moves the respondent's satisfaction."""
    who = Respondent(unit_code="", channel="", current_round=False)
    return Drawer(questionnaire).draw(rng, who, extra_shift=(quality - 4.0) * 1.5)
