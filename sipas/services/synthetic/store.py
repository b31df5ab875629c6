"""Synthetic responses written in bulk: set-based inserts, quality rules applied.

Each response row is a plain dict and its answers plain tuples, inserted with one
Core statement per batch (no ORM object per row). Responses already stored (same
UUID: the same seed draws the same ones) are skipped, so a repeated run adds
nothing. The quality rules (``sipas.questionnaire.quality``) judge every
response as they would judge a real one: a careless, far-too-fast response is
stored *flagged*, a quick or straight-lined one is counted and marked.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Channel, Response, ResponseStatus, Wave, WaveUnit
from sipas.questionnaire import AnswerValue
from sipas.questionnaire.quality import (
    SIGNAL_CODES,
    STRAIGHT_LINING,
    Verdict,
    answered_questions,
    decide,
    is_straight_lining,
    signal_mask,
    speed_signals,
)
from sipas.services.responses.quality import seconds_per_answer
from sipas.services.responses.store import answer_pairs
from sipas.services.synthetic.answers import Drawer, Respondent, pick
from sipas.services.synthetic.model import DEFAULT_MODEL, ResponseModel

#: Responses drawn and inserted at a time.
BATCH = 2000
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


def add_responses(
    fill: Fill, progress: Callable[[int], None] | None = None
) -> list[uuid.UUID]:
    """Draw ``fill.count`` responses and insert those not stored yet; return the
    UUIDs of the ones inserted now."""
    rng = random.Random(f"{fill.seed}:{fill.wave.code}")  # noqa: S311  (reproducible)
    context = _Context.of(fill)
    added: list[uuid.UUID] = []
    for start in range(0, fill.count, BATCH):
        size = min(BATCH, fill.count - start)
        new = insert_new([context.one(rng) for _ in range(size)])
        added += new
        if progress:
            progress(size)
        if start == 0 and not new and _stored(fill.wave) >= fill.count:
            # an earlier run stored this first batch, and (in one transaction) as
            # many responses as asked: the rest are there too
            if progress:
                progress(fill.count - size)
            break
    return added


def _stored(wave: Wave) -> int:
    """Responses of ``wave`` stored so far."""
    query = sa.select(sa.func.count()).select_from(Response)
    return db.session.scalar(query.where(Response.wave_id == wave.id)) or 0


@dataclass
class _Context:
    """Everything the drawing of one wave's responses needs, looked up once."""

    fill: Fill
    drawer: Drawer
    wave_units: Sequence[WaveUnit]
    unit_weights: list[float]
    first_day: date
    days: int

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
        return cls(
            fill=fill,
            drawer=Drawer(parsed(fill.wave.questionnaire), fill.model),
            wave_units=wave_units,
            # each centre answers in proportion to the people it serves
            unit_weights=[float(wu.population or 1) for wu in wave_units],
            first_day=first,
            days=max(1, (last - first).days),
        )

    def one(self, rng: random.Random) -> tuple[dict, dict[str, AnswerValue]]:
        """One response row and its answers."""
        wave, model = self.fill.wave, self.fill.model
        unit = rng.choices(self.wave_units, weights=self.unit_weights)[0].unit
        mix = model.rural_channel_mix if unit.code in model.rural_centres else None
        channel = Channel(pick(rng, mix or model.channel_mix))
        careless = rng.random() < model.careless_share
        who = Respondent(unit.code, channel.value, self.fill.current_round, careless)
        response_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
        answers = self.drawer.draw(rng, who)
        submitted = self._moment(rng)
        seconds = self._seconds(rng, channel, careless, answers)
        response = {
            "uuid": response_uuid,
            "wave_id": wave.id,
            "unit_id": unit.id,
            "questionnaire_id": wave.questionnaire_id,
            "channel": channel,
            "language": "vi" if rng.random() < 0.97 else "en",
            "started_at": submitted - timedelta(seconds=seconds) if seconds else None,
            "submitted_at": submitted,
            "duration_seconds": seconds,
        }
        response.update(judged(self.drawer.criteria, channel, seconds, answers))
        return response, answers

    def _moment(self, rng: random.Random) -> datetime:
        """A working-day moment inside the round (office hours, Vietnam time)."""
        day = self.first_day + timedelta(days=rng.randrange(self.days))
        while day.weekday() >= 5:
            day -= timedelta(days=2)
        minutes = rng.randint(30, 9 * 60 + 30)  # 7:30–16:30 in UTC+7
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start + timedelta(minutes=minutes, seconds=rng.randrange(60))

    def _seconds(
        self,
        rng: random.Random,
        channel: Channel,
        careless: bool,
        answers: Mapping[str, AnswerValue],
    ) -> int | None:
        """Time spent answering: about the channel's median, far too fast when
        careless, under the quality floor now and then."""
        floor = seconds_per_answer(channel) if channel in MEDIAN_SECONDS else None
        if floor is None:
            return None
        answered = answered_questions(answers)
        if careless:
            return max(3, int(floor * answered * rng.uniform(0.15, 0.45)))
        if rng.random() < self.fill.model.quick_share:
            return int(floor * answered * rng.uniform(0.6, 0.95))
        median = MEDIAN_SECONDS[channel]
        return int(median * math.exp(rng.gauss(0.0, 0.35)))


def judged(
    criteria: Sequence[str],
    channel: Channel,
    seconds: int | None,
    answers: Mapping[str, AnswerValue],
) -> dict:
    """Masks, quality signals and status of a response, as the quality rules
    judge it (the device-rate rule aside: synthetic responses name no device).

    ``criteria``: the questionnaire's criterion codes in order (looked up once,
    for speed; the masks are those ``criteria_masks`` makes)."""
    found: set[str] = set()
    floor = seconds_per_answer(channel) if channel in MEDIAN_SECONDS else None
    if floor is not None:
        found.update(speed_signals(seconds, answered_questions(answers), floor))
    scores = _scores(criteria, answers)
    if is_straight_lining(scores):
        found.add(STRAIGHT_LINING)
    signals = [code for code in SIGNAL_CODES if code in found]
    verdict = decide(signals)
    answered = satisfied = 0
    for k, score in enumerate(scores.values()):
        if score is not None:
            answered |= 1 << k
            if score >= 4:
                satisfied |= 1 << k
    excluded = verdict is Verdict.excluded
    return {
        "criteria_answered": answered,
        "criteria_satisfied": satisfied,
        "quality_signals": signal_mask(signals),
        "status": ResponseStatus.flagged if excluded else ResponseStatus.complete,
        "status_reason": ",".join(signals) if excluded else None,
    }


def _scores(
    criteria: Sequence[str], answers: Mapping[str, AnswerValue]
) -> dict[str, int | None]:
    """Each criterion's 1–5 score, None for no answer or not applicable."""
    scores: dict[str, int | None] = {}
    for code in criteria:
        answer = answers.get(code)
        scores[code] = int(answer) if answer in _SCORES else None
    return scores


_SCORES = frozenset("12345")


def insert_new(
    rows: Sequence[tuple[dict, Mapping[str, AnswerValue]]],
) -> list[uuid.UUID]:
    """Insert the responses not stored yet, then their answers, with Core statements."""
    uuids = [response["uuid"] for response, _ in rows]
    existing = set(
        db.session.scalars(sa.select(Response.uuid).where(Response.uuid.in_(uuids)))
    )
    fresh = [(r, a) for r, a in rows if r["uuid"] not in existing]
    if not fresh:
        return []
    # Core inserts on the tables: no ORM bookkeeping per row
    db.session.execute(Response.__table__.insert(), [r for r, _ in fresh])
    new_uuids = [r["uuid"] for r, _ in fresh]
    ids = dict(
        db.session.execute(
            sa.select(Response.uuid, Response.id).where(Response.uuid.in_(new_uuids))
        ).all()
    )
    answer_rows: list[tuple[int, str, str]] = []
    for response, answers in fresh:
        response_id = ids[response["uuid"]]
        answer_rows += [
            (response_id, code, value) for code, value in answer_pairs(answers)
        ]
    _insert_answers(answer_rows)
    return new_uuids


def _insert_answers(rows: list[tuple[int, str, str]]) -> None:
    """Answer rows as plain tuples through the driver: a million rows cost the
    database's time only (a Core insert builds a parameter dict per row)."""
    connection = db.session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    table = Answer.__table__
    columns = ", ".join(
        c.name for c in (table.c.response_id, table.c.item_code, table.c.value)
    )
    statement = (
        f"INSERT INTO {table.name} ({columns}) VALUES ({marker}, {marker}, {marker})"  # noqa: S608  (no outside input)
    )
    connection.exec_driver_sql(statement, rows)
