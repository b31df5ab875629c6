"""Synthetic responses written in bulk: set-based inserts, quality rules applied.

Each response row is a plain dict and its answers plain tuples, inserted with one
Core statement per batch (no ORM object per row). Responses already stored (same
UUID: the same seed draws the same ones) are skipped, so a repeated run adds
nothing. The quality rules (``sipas.questionnaire.quality``) judge every
response as they would judge a real one: a careless, far-too-fast response is
stored *flagged*, a quick or straight-lined one is counted and marked.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial

import numpy as np
import sqlalchemy as sa

from sipas.ahead import MadeAhead
from sipas.extensions import db
from sipas.models import Channel, Response, ResponseStatus, Wave, WaveUnit
from sipas.questionnaire.choices import ChoiceLayout, choice_layout
from sipas.questionnaire.quality import (
    SIGNAL_CODES,
    STRAIGHT_LINING,
    STRAIGHT_LINING_MIN_CRITERIA,
    Verdict,
    decide,
    signal_mask,
    speed_signals,
)
from sipas.services.responses import bulk
from sipas.services.responses.quality import seconds_per_answer
from sipas.services.synthetic.batch import BatchDrawer, categorical, codes_of
from sipas.services.synthetic.model import DEFAULT_MODEL, ResponseModel
from sipas.stats.choice_codes import pack_columns

#: Responses drawn and inserted at a time.
BATCH = 5000
#: Median seconds a respondent takes on each channel (paper: typed later, untimed).
MEDIAN_SECONDS = {Channel.web: 330, Channel.kiosk: 260, Channel.interview: 540}
#: Days over which a round without an end date collects its responses.
DEFAULT_DAYS = 300


@dataclass(frozen=True)
class Fill:
    """What to draw for one wave."""

    wave: Wave
    count: int
    seed: int | str
    #: True for this year's round (the model's round-to-round change applies).
    current_round: bool = True
    model: ResponseModel = DEFAULT_MODEL
    #: True: a last batch smaller than the others is drawn whole and cut, so a
    #: later run with the same seed asking for more draws the same responses
    #: first, and adds only the difference (the demo command).
    whole_batches: bool = False


@dataclass(frozen=True)
class PaperDrawn:
    """A paper response just stored, as its forms are typed from it."""

    response_id: int
    unit_id: int
    submitted_at: datetime
    #: Its answers packed: the single ones and the choices (JSON objects).
    answers: tuple[str, str | None]


@dataclass
class Added:
    """What :func:`add_responses` stored: the responses' UUIDs, and the paper
    ones as their forms are typed from them, in the order of their ids."""

    uuids: list[uuid.UUID] = field(default_factory=list)
    paper: list[PaperDrawn] = field(default_factory=list)


def add_responses(
    fill: Fill,
    progress: Callable[[int], None] | None = None,
    earlier: bool | None = None,
) -> Added:
    """Draw ``fill.count`` responses and insert those not stored yet; what was
    inserted now. ``earlier``: whether the database held responses before this
    command began (None: whether it holds any now)."""
    rng = generator(f"{fill.seed}:{fill.wave.code}")
    context = _Context.of(fill)
    sizes = [min(BATCH, fill.count - start) for start in range(0, fill.count, BATCH)]
    added = Added()
    # a database with no response before this command has none of the drawn
    # ones: nothing to look up before each batch (a UUID is unique across every
    # round: an earlier run's, or its export imported into another round, may be
    # stored; the responses this command drew for another round come from a
    # stream of their own)
    if earlier is None:
        earlier = bulk.any_stored()
    # the next batch is drawn while SQLite spreads this one's answers, which takes
    # longer and lets the interpreter go: the same draws, on the second core
    draw = partial(context.batch, rng, whole=fill.whole_batches)
    with MadeAhead(draw, sizes) as batches:
        for number, batch in enumerate(batches):
            ids = insert_new(batch, batches.start_next, earlier)
            added.uuids += [batch.uuids[k] for k, new in enumerate(ids) if new]
            added.paper += [
                PaperDrawn(ids[k], unit_id, moment, batch.answers[k])
                for k, unit_id, moment in batch.paper
                if ids[k]
            ]
            if progress:
                progress(len(batch.uuids))
            if number == 0 and not any(ids) and _stored(fill.wave) >= fill.count:
                # an earlier run stored this first batch, and (in one transaction)
                # as many responses as asked: the rest are there too
                if progress:
                    progress(fill.count - len(batch.uuids))
                break
    return added


def generator(seed: str) -> np.random.Generator:
    """A numpy generator seeded by a text: the same text draws the same numbers."""
    digest = hashlib.sha256(seed.encode()).digest()
    return np.random.default_rng(list(digest))


def _stored(wave: Wave) -> int:
    """Responses of ``wave`` stored so far."""
    query = sa.select(sa.func.count()).select_from(Response)
    return db.session.scalar(query.where(Response.wave_id == wave.id)) or 0


@dataclass(frozen=True)
class Batch:
    """Responses drawn at once, in another thread."""

    uuids: list[uuid.UUID]
    #: Their columns as the driver takes them.
    rows: bulk.DriverRows
    #: Their answers as ``bulk.insert_answers`` takes them, without their ids.
    answers: list[tuple[str, str | None]]
    #: The paper ones: (position in the batch, unit id, moment submitted).
    paper: list[tuple[int, int, datetime]]

    def first(self, count: int) -> Batch:
        """The first ``count`` responses of the batch."""
        columns = {name: values[:count] for name, values in self.rows.columns.items()}
        return Batch(
            self.uuids[:count],
            bulk.DriverRows(self.rows.table, columns, count),
            self.answers[:count],
            [paper for paper in self.paper if paper[0] < count],
        )


@dataclass
class _Context:
    """Everything the drawing of one wave's responses needs, looked up once."""

    fill: Fill
    drawer: BatchDrawer
    wave_id: int
    questionnaire_id: int
    #: The wave's units' ids, in the order of ``unit_shares``.
    unit_ids: np.ndarray
    unit_shares: np.ndarray
    first_day: date
    days: int
    #: Minimum seconds per answer, per channel (None: not timed).
    floors: dict[Channel, float | None]
    #: Where each choice answer goes in a response's packed choices.
    layout: ChoiceLayout
    #: The database's dialect, whose driver takes the drawn values.
    dialect: sa.Dialect

    @classmethod
    def of(cls, fill: Fill) -> _Context:
        from sipas.services.questionnaires import parsed

        wave_units = db.session.scalars(
            sa.select(WaveUnit)
            .where(WaveUnit.wave_id == fill.wave.id)
            .order_by(WaveUnit.id)
        ).all()
        first = fill.wave.starts_on or date(2026, 1, 1)
        last = fill.wave.ends_on or first + timedelta(days=DEFAULT_DAYS)
        # each centre answers in proportion to the people it serves
        weights = np.array([float(wu.population or 1) for wu in wave_units])
        codes = [wu.unit.code for wu in wave_units]
        questionnaire = parsed(fill.wave.questionnaire)
        return cls(
            fill=fill,
            drawer=BatchDrawer(questionnaire, fill.model, codes, fill.current_round),
            wave_id=fill.wave.id,
            questionnaire_id=fill.wave.questionnaire_id,
            unit_ids=np.array([wu.unit_id for wu in wave_units]),
            unit_shares=weights / weights.sum(),
            first_day=first,
            days=max(1, (last - first).days),
            floors={
                c: seconds_per_answer(c) if c in MEDIAN_SECONDS else None
                for c in Channel
            },
            layout=choice_layout(questionnaire),
            dialect=bulk.dialect(),
        )

    def batch(self, rng: np.random.Generator, size: int, whole: bool = False) -> Batch:
        """``size`` responses (no database: drawn in another thread); with
        ``whole``, a whole batch is drawn and its first ``size`` kept, so that
        the responses drawn never depend on how many are asked."""
        if whole and size < BATCH:
            return self._drawn(rng, BATCH).first(size)
        return self._drawn(rng, size)

    def _drawn(self, rng: np.random.Generator, size: int) -> Batch:
        """``size`` responses drawn at once."""
        model = self.fill.model
        unit = rng.choice(len(self.unit_ids), size=size, p=self.unit_shares)
        rural = self.drawer.rural[unit]
        u = rng.random(size)
        mixes = [model.channel_mix, model.rural_channel_mix]
        channel_codes = codes_of(model.channel_mix)
        channel = np.where(
            rural,
            channel_codes[categorical(u, {c: mixes[1].get(c, 0.0) for c in mixes[0]})],
            channel_codes[categorical(u, mixes[0])],
        )
        careless = rng.random(size) < model.careless_share
        # one draw of the batch's bytes: the same stream as 16 bytes at a time
        drawn = rng.bytes(16 * size)
        uuids = [
            uuid.UUID(bytes=drawn[k : k + 16], version=4)
            for k in range(0, 16 * size, 16)
        ]
        answers = self.drawer.draw(rng, unit, channel, careless)
        submitted = self._moments(rng, size)
        questions = answers.answered()
        straight = straight_lined(answers.scores)
        seconds = self._seconds(rng, channel, ~straight, careless, questions)
        english = rng.random(size) >= 0.97
        columns: dict[str, list] = {
            "uuid": uuids,
            "wave_id": [self.wave_id] * size,
            "unit_id": self.unit_ids[unit].tolist(),
            "questionnaire_id": [self.questionnaire_id] * size,
            "channel": [Channel(c) for c in channel.tolist()],
            "language": np.where(english, "en", "vi").tolist(),
            "started_at": [
                moment - timedelta(seconds=spent) if spent else None
                for moment, spent in zip(submitted, seconds, strict=True)
            ],
            "submitted_at": submitted,
            "duration_seconds": seconds,
            **judged(
                channel, seconds, questions, (answers.scores, straight), self.floors
            ),
            "choice_codes": pack_columns(self.layout, answers.single, answers.multiple),
        }
        rows = bulk.driver_rows(Response.__table__, columns, self.dialect)
        paper = [
            (k, columns["unit_id"][k], submitted[k])
            for k in np.flatnonzero(channel == Channel.paper.value).tolist()
        ]
        return Batch(uuids, rows, answers.answer_texts(), paper)

    def _moments(self, rng: np.random.Generator, size: int) -> list[datetime]:
        """Working-day moments inside the round (office hours, Vietnam time)."""
        day = self.first_day.toordinal() + rng.integers(0, self.days, size)
        weekend = (day - 1) % 7 >= 5  # ordinal 1 was a Monday
        day = np.where(weekend, day - 2, day)
        seconds = rng.integers(30, 9 * 60 + 31, size) * 60 + rng.integers(0, 60, size)
        epoch = date(1970, 1, 1).toordinal()
        stamps = (day - epoch) * 86400 + seconds  # 7:30–16:30 in UTC+7
        return [datetime.fromtimestamp(s, UTC) for s in stamps.tolist()]

    def _seconds(
        self,
        rng: np.random.Generator,
        channel: np.ndarray,
        may_rush: np.ndarray,
        careless: np.ndarray,
        answered: np.ndarray,
    ) -> list[int | None]:
        """Time spent answering: about the channel's median, far too fast when
        careless, under the quality floor now and then where ``may_rush`` (a
        straight-lined response that is also quick would be excluded: the model's
        quick respondents are only marked) (paper: untimed)."""
        size = len(channel)
        floor = np.array([self.floors[Channel(c)] or 0.0 for c in channel])
        median = np.array([MEDIAN_SECONDS.get(Channel(c), 0) for c in channel])
        typical = median * np.exp(rng.normal(0.0, 0.35, size))
        quick = (rng.random(size) < self.fill.model.quick_share) & may_rush
        fast = floor * answered * rng.uniform(0.6, 0.95, size)
        rushed = np.maximum(3, floor * answered * rng.uniform(0.15, 0.45, size))
        spent = np.where(careless, rushed, np.where(quick, fast, typical))
        timed = floor > 0
        return [
            int(s) if t else None for s, t in zip(spent.tolist(), timed, strict=True)
        ]


def judged(
    channel: np.ndarray,
    seconds: Sequence[int | None],
    questions: np.ndarray,
    scored: tuple[np.ndarray, np.ndarray],
    floors: Mapping[Channel, float | None],
) -> dict[str, list]:
    """Masks, quality signals and status of each response of a batch, as the
    quality rules judge it (the device-rate rule aside: synthetic responses name no
    device), column by column. ``questions``: questions answered by each;
    ``scored``: respondents × criteria (0 for none or not applicable), and which
    are straight-lined."""
    scores, straight = scored
    given = scores > 0
    bits = 1 << np.arange(scores.shape[1], dtype=np.int64)
    verdicts: dict[tuple[str, ...], dict] = {}
    floor_of = [floors[Channel(c)] for c in channel.tolist()]
    columns: dict[str, list] = {
        "quality_signals": [],
        "status": [],
        "status_reason": [],
    }
    for spent, count, floor, flat in zip(
        seconds, questions.tolist(), floor_of, straight.tolist(), strict=True
    ):
        found = set(speed_signals(spent, count, floor) if floor is not None else ())
        if flat:
            found.add(STRAIGHT_LINING)
        signals = tuple(code for code in SIGNAL_CODES if code in found)
        if signals not in verdicts:
            verdicts[signals] = _verdict(signals)
        for name, value in verdicts[signals].items():
            columns[name].append(value)
    return {
        "criteria_answered": (given * bits).sum(axis=1).tolist(),
        "criteria_satisfied": ((scores >= 4) * bits).sum(axis=1).tolist(),
        **columns,
    }


def straight_lined(scores: np.ndarray) -> np.ndarray:
    """Which rows of ``scores`` (0: none) give one score to enough criteria."""
    given = scores > 0
    lowest = np.where(given, scores, 9).min(axis=1)
    enough = given.sum(axis=1) >= STRAIGHT_LINING_MIN_CRITERIA
    return enough & (lowest == scores.max(axis=1))


def _verdict(signals: tuple[str, ...]) -> dict:
    """Signals and status of a response with ``signals``."""
    excluded = decide(signals) is Verdict.excluded
    return {
        "quality_signals": signal_mask(signals),
        "status": ResponseStatus.flagged if excluded else ResponseStatus.complete,
        "status_reason": ",".join(signals) if excluded else None,
    }


def insert_new(
    batch: Batch, meanwhile: Callable[[], None] | None = None, earlier: bool = True
) -> list[int]:
    """Insert the responses of ``batch`` not stored yet, then their answers,
    through the driver; the id of each (0: stored before). ``meanwhile`` is
    called as the database begins its longest statement (see
    ``bulk.insert_answers``). Without ``earlier`` responses in the database, none
    is looked up."""
    uuids, rows = batch.uuids, batch.rows
    existing = set(bulk.stored_waves(uuids)) if earlier else set()
    if not existing:
        ids = bulk.insert_responses(rows)
    else:
        fresh = [k for k, value in enumerate(uuids) if value.hex not in existing]
        if not fresh:
            return [0] * len(uuids)
        kept = {name: [given[k] for k in fresh] for name, given in rows.columns.items()}
        new_ids = iter(
            bulk.insert_responses(bulk.DriverRows(rows.table, kept, len(fresh)))
        )
        # a response stored earlier gets no answers again (id 0: skipped)
        ids = [0 if value.hex in existing else next(new_ids) for value in uuids]
    texts = zip(ids, batch.answers, strict=True)
    packed = ((k, single, chosen) for k, (single, chosen) in texts if k)
    bulk.insert_answers(packed, meanwhile)
    return ids
