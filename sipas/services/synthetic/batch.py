"""Draw a whole batch of respondents at once: the model of ``answers`` as numpy
arrays (one array per question, one element per respondent).

The same model as :class:`~sipas.services.synthetic.answers.Drawer`, drawn column
by column instead of respondent by respondent: a respondent's shift, mood and
"late" state are arrays carried from question to question in questionnaire
order, skip rules are masks, and a hidden question's draw changes nothing. The
same numpy ``Generator`` state draws the same batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from sipas.questionnaire import Item, ItemType, Questionnaire
from sipas.services.responses.bulk import answers_json
from sipas.services.synthetic.answers import COMMENTS
from sipas.services.synthetic.model import ResponseModel, logit

#: No answer, in a column of codes.
BLANK = ""


def categorical(u: np.ndarray, mix: Mapping[str, float]) -> np.ndarray:
    """Index into ``mix``'s codes of each uniform draw in ``u``, by weight."""
    cumulative = np.cumsum(list(mix.values()))
    index = np.searchsorted(cumulative / cumulative[-1], u, side="right")
    return np.minimum(index, len(cumulative) - 1)


def codes_of(mix: Mapping[str, float]) -> np.ndarray:
    """The codes of ``mix`` as an array to index."""
    return np.array(list(mix), dtype=object)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Batch:
    """A batch of respondents' answers as columns."""

    size: int
    #: One-answer questions: code → array of answer codes (BLANK: no answer).
    single: dict[str, np.ndarray] = field(default_factory=dict)
    #: Multiple-choice questions: code → (option codes, respondents × options chosen).
    multiple: dict[str, tuple[Sequence[str], np.ndarray]] = field(default_factory=dict)
    #: Respondents × criteria: the 1–5 score, 0 for none or not applicable.
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int8))

    def answered(self) -> np.ndarray:
        """Questions answered by each respondent (a multiple choice counts once)."""
        count = np.zeros(self.size, np.int64)
        for values in self.single.values():
            count += values != BLANK
        for _options, chosen in self.multiple.values():
            count += chosen.any(axis=1)
        return count

    def answer_texts(self) -> list[tuple[str, str | None]]:
        """Each respondent's answers as ``bulk.insert_answers`` takes them: the
        single answers as a JSON object, the multiple choices as another (None
        when none was chosen).

        Made a question at a time: each distinct answer of a question is written
        once, and a respondent's object is the join of their questions' pieces."""
        single = _joined(
            [_pieces(code, column) for code, column in self.single.items()]
        )
        chosen = _joined(
            [
                _choice_pieces(code, options, picked)
                for code, (options, picked) in self.multiple.items()
            ]
        )
        return [
            (answers or "{}", choices)
            for answers, choices in zip(
                single or [None] * self.size, chosen or [None] * self.size, strict=True
            )
        ]


def _joined(pieces: list[list[str]]) -> list[str | None]:
    """Each respondent's pieces of ``"code":value,`` as a JSON object (None: no
    piece); an empty list when there are no questions."""
    if not pieces:
        return []
    return [
        "{" + joined[:-1] + "}" if (joined := "".join(parts)) else None
        for parts in zip(*pieces, strict=True)
    ]


def _pieces(code: str, column: np.ndarray) -> list[str]:
    """``"code":value,`` for each respondent of ``column`` ("" if blank)."""
    written = {
        value: f"{answers_json({code: value})[1:-1]}," if value != BLANK else ""
        for value in set(column.tolist())
    }
    return [written[value] for value in column.tolist()]


def _choice_pieces(code: str, options: Sequence[str], chosen: np.ndarray) -> list[str]:
    """``"code":[options…],`` for each respondent of ``chosen`` ("" if none)."""
    patterns, which = np.unique(chosen, axis=0, return_inverse=True)
    written = [
        f"{answers_json({code: picked})[1:-1]}," if picked else ""
        for picked in (
            tuple(option for option, on in zip(options, row, strict=True) if on)
            for row in patterns.tolist()
        )
    ]
    return [written[k] for k in which.reshape(-1).tolist()]


class _Respondents:
    """What a batch of respondents carries from question to question."""

    def __init__(self, rng, model, unit, channel, careless, centre_shift) -> None:
        n = len(unit)
        self.rng, self.model, self.n = rng, model, n
        self.unit, self.channel, self.careless = unit, channel, careless
        self.mood = rng.normal(0.0, model.disposition_sd, n)
        self.very = rng.beta(*model.very_satisfied_beta, n)
        self.same = codes_of(dict.fromkeys("345", 1.0))[rng.integers(0, 3, n)]
        self.shift = centre_shift[unit] + np.array(
            [model.channel.get(c, 0.0) for c in channel]
        )
        self.late = np.zeros(n, bool)
        self.answered = np.zeros(n, np.int64)
        self.satisfied = np.zeros(n, np.int64)

    def uniform(self) -> np.ndarray:
        """One uniform draw per respondent."""
        return self.rng.random(self.n)

    def satisfaction(self, satisfied: np.ndarray) -> np.ndarray:
        """4 or 5 where ``satisfied`` (5 with the respondent's own share), else 1–3."""
        five = self.uniform() < self.very
        low = categorical(
            self.uniform(), dict(zip("123", self.model.dissatisfied_mix, strict=True))
        )
        value = np.where(five, "5", "4").astype(object)
        value[~satisfied] = codes_of(dict.fromkeys("123", 1.0))[low][~satisfied]
        return value


class BatchDrawer:
    """Draws batches of answers for one questionnaire, model, set of units and round."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        model: ResponseModel,
        unit_codes: Sequence[str],
        current_round: bool,
    ) -> None:
        self.model, self.current_round = model, current_round
        self.criteria = tuple(item.code for item in questionnaire.criteria)
        self.plan = [
            (
                item,
                item.show_if.item if item.show_if else None,
                list(item.show_if.values) if item.show_if else [],
            )
            for item in questionnaire.items
        ]
        self.unit_codes = list(unit_codes)
        self.centre_shift = np.array(
            [model.centre_shift(code, current_round) for code in unit_codes]
        )
        self.rural = np.array([code in model.rural_centres for code in unit_codes])
        self.perception_centre = np.array(
            [model.perception_centre.get(code, 0.0) for code in unit_codes]
        )

    def draw(
        self,
        rng: np.random.Generator,
        unit: np.ndarray,
        channel: Sequence[str],
        careless: np.ndarray,
    ) -> Batch:
        """Answers of ``len(unit)`` respondents (``unit``: indices into the units)."""
        who = _Respondents(rng, self.model, unit, channel, careless, self.centre_shift)
        groups = {code: self._group(who, code) for code in self.model.group_mix}
        batch = Batch(
            len(unit), scores=np.zeros((len(unit), len(self.criteria)), np.int8)
        )
        for item, target, showing in self.plan:
            shown = self._shown(batch, target, showing, who.n)
            if item.is_criterion:
                value = self._criterion(who, item.code, shown)
                scores = np.where(np.isin(value, list("12345")), value, "0")
                batch.scores[:, self.criteria.index(item.code)] = np.where(
                    shown, scores.astype(np.int8), 0
                )
            elif item.type is ItemType.multi_choice:
                batch.multiple[item.code] = self._multiple(who, item, shown)
                continue
            elif item.code in groups:
                value = groups[item.code]
            else:
                value = self._valid(who, item, self._special(who, item, shown))
            batch.single[item.code] = np.where(shown, value, BLANK)
        return batch

    @staticmethod
    def _shown(batch: Batch, target: str | None, showing: list[str], n: int):
        if target is None:
            return np.ones(n, bool)
        if target in batch.multiple:
            options, chosen = batch.multiple[target]
            wanted = [j for j, option in enumerate(options) if option in showing]
            return chosen[:, wanted].any(axis=1)
        return np.isin(batch.single.get(target, np.full(n, BLANK)), showing)

    def _group(self, who: _Respondents, code: str) -> np.ndarray:
        model = self.model
        blank = who.uniform() < model.group_blank
        mix = model.group_mix[code]
        u = who.uniform()
        value = codes_of(mix)[categorical(u, mix)]
        if code == "ethnicity":
            share = model.rural_minority_share
            rural = {"kinh": 1 - share, "minority": share}
            rural_value = codes_of(rural)[categorical(u, rural)]
            value = np.where(self.rural[who.unit], rural_value, value)
        value = np.where(blank, BLANK, value)
        effect = model.group.get(code, {})
        who.shift += np.array([effect.get(v, 0.0) for v in value])
        return value

    def _criterion(self, who: _Respondents, code: str, shown: np.ndarray):
        model = self.model
        not_applicable = who.uniform() < model.not_applicable.get(code, 0.005)
        odds = logit(model.criterion_base.get(code, 0.85)) + who.shift + who.mood
        own = [
            model.centre_criterion.get(u, {}).get(code, 0.0) for u in self.unit_codes
        ]
        odds += np.array(own)[who.unit]
        odds += who.late * model.late_effect.get(code, 0.0)
        if self.current_round:
            odds += model.criterion_round_change.get(code, 0.0)
        satisfied = who.uniform() < _sigmoid(odds)
        value = who.satisfaction(satisfied)
        value[not_applicable] = "9"
        value = np.where(who.careless, who.same, value)
        counted = shown & ~not_applicable & ~who.careless
        who.answered += counted
        who.satisfied += counted & satisfied
        return value

    def _overall(self, who: _Respondents) -> np.ndarray:
        share = np.where(
            who.answered > 0, who.satisfied / np.maximum(who.answered, 1), 0.8
        )
        value = who.satisfaction(who.uniform() < share)
        low = codes_of({"2": 1.0, "3": 2.0})[
            categorical(who.uniform(), {"2": 1, "3": 2})
        ]
        value = np.where(np.isin(value, ["4", "5"]), value, low)
        return np.where(who.careless, who.same, value)

    def _special(self, who: _Respondents, item: Item, shown: np.ndarray):
        """Answers the model shapes itself; a valid random answer for the rest."""
        model, code = self.model, item.code
        if code == "overall":
            return self._overall(who)
        if code in ("field", "trips"):
            mix, effect = (
                (model.field_mix, model.field_effect)
                if code == "field"
                else (model.trips_mix, model.trips_effect)
            )
            value = codes_of(mix)[categorical(who.uniform(), mix)]
            who.shift += shown * np.array([effect.get(v, 0.0) for v in value])
            return value
        if code == "submission_channel":
            online = (np.asarray(who.channel) == "web") & (who.uniform() < 0.5)
            mix = model.submission_mix
            return np.where(
                online, "online", codes_of(mix)[categorical(who.uniform(), mix)]
            )
        if code == "on_time":
            mix = model.timeliness_mix
            value = codes_of(mix)[categorical(who.uniform(), mix)]
            who.late |= shown & (value == "late")
            return value
        if code == "apology":
            return self._yes(who.uniform() < model.apology_share)
        if code == "E_filter":
            odds = logit(model.feedback_share) - model.feedback_mood * who.mood
            return self._yes(who.uniform() < _sigmoid(odds))
        if code in model.perception_base:
            odds = logit(model.perception_base[code]) - model.perception_mood * who.mood
            odds = odds + self.perception_centre[who.unit]
            return self._yes(who.uniform() < _sigmoid(odds))
        if code == "comment":
            given = who.uniform() < model.comment_share
            chosen = np.array(COMMENTS, dtype=object)[
                who.rng.integers(0, len(COMMENTS), who.n)
            ]
            return np.where(given, chosen, BLANK)
        return self._any(who, item)

    def _valid(self, who: _Respondents, item: Item, value: np.ndarray):
        """``value``, with a random valid answer where the model's code is not one
        of the item's choices (an older form words its choices otherwise)."""
        if not item.choice_codes:
            return value
        wrong = ~np.isin(value, [*item.choice_codes, BLANK])
        return np.where(wrong, self._any(who, item), value) if wrong.any() else value

    @staticmethod
    def _yes(yes: np.ndarray) -> np.ndarray:
        return np.where(yes, "yes", "no").astype(object)

    @staticmethod
    def _any(who: _Respondents, item: Item) -> np.ndarray:
        """A valid answer to an item the model does not know."""
        if item.type is ItemType.scale:
            options = ["3", "4", "4", "5"]
        elif item.type in (ItemType.text, ItemType.number):
            options = [BLANK]
        else:
            options = list(item.choice_codes)
        return np.array(options, dtype=object)[who.rng.integers(0, len(options), who.n)]

    def _multiple(self, who: _Respondents, item: Item, shown: np.ndarray):
        """Options chosen: the model's expectations (up to 3, at least one) or a
        random valid choice."""
        options = list(item.choice_codes)
        weights = self.model.expectation_weights
        if item.code == "expectations":
            shares = np.array([weights.get(o, 0.0) for o in options])
            chosen = who.rng.random((who.n, len(options))) < shares
            chosen &= np.cumsum(chosen, axis=1) <= 3
            none = ~chosen.any(axis=1)
            known = {o: weights[o] for o in options if o in weights}
            pick = categorical(who.uniform(), known)
            columns = np.array([options.index(o) for o in known])[pick]
            chosen[np.flatnonzero(none), columns[none]] = True
        else:
            size = who.rng.integers(1, (item.max_choices or 1) + 1, who.n)
            rank = who.rng.random((who.n, len(options))).argsort(axis=1).argsort(axis=1)
            chosen = rank < size[:, None]
        return options, chosen & shown[:, None]
