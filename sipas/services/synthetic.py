"""Realistic synthetic responses for the demo wave (dashboards, reports, benchmarks)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Channel, Response, ResponseStatus, Wave, WaveUnit
from sipas.models.base import utcnow
from sipas.questionnaire import (
    AnswerValue,
    Item,
    ItemType,
    Questionnaire,
    criteria_masks,
    validate_answers,
)
from sipas.services.questionnaires import parsed

BATCH = 500
CHANNEL_MIX = ((Channel.web, 0.5), (Channel.kiosk, 0.35), (Channel.paper, 0.15))


def _scale_answer(rng: random.Random, quality: float) -> str:
    """A 1–5 answer around the unit's quality; now and then 9 or nothing."""
    roll = rng.random()
    if roll < 0.02:
        return "9"
    if roll < 0.04:
        return ""
    level = quality + rng.gauss(0, 0.9)
    return str(min(5, max(1, round(level))))


def _answer(item: Item, rng: random.Random, quality: float, answers: dict) -> object:
    if item.code == "E_filter":
        return "yes" if rng.random() < 0.15 else "no"
    if item.code in ("harassment", "unofficial_payment"):
        return "yes" if rng.random() < (0.06 if quality < 3.8 else 0.02) else "no"
    if item.type is ItemType.scale:
        return _scale_answer(rng, quality)
    if item.type is ItemType.multi_choice:
        return rng.sample(item.choice_codes, rng.randint(1, item.max_choices or 1))
    if item.type is ItemType.text:
        return "Cán bộ hướng dẫn tận tình." if rng.random() < 0.05 else ""
    if item.type is ItemType.number:
        return ""
    if not item.required and rng.random() < 0.1:
        return ""
    return rng.choice(item.choice_codes)


def synthetic_answers(
    questionnaire: Questionnaire, rng: random.Random, quality: float
) -> dict[str, AnswerValue]:
    """One plausible, valid set of answers."""
    answers: dict[str, object] = {}
    for item in questionnaire.items:
        answers[item.code] = _answer(item, rng, quality, answers)
    return dict(validate_answers(questionnaire, answers).answers)


def add_demo_responses(
    wave: Wave,
    count: int,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Add ``count`` synthetic responses; a repeated seed adds the same ones (none)."""
    rng = random.Random(seed)  # noqa: S311  (demo data, reproducible on purpose)
    questionnaire = parsed(wave.questionnaire)
    wave_units = db.session.scalars(
        sa.select(WaveUnit).where(WaveUnit.wave_id == wave.id).order_by(WaveUnit.id)
    ).all()
    quality = {wu.unit_id: rng.uniform(3.3, 4.4) for wu in wave_units}
    sizes = [wu.population or 1 for wu in wave_units]
    added = 0
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        rows = [
            _one(rng, wave, questionnaire, wave_units, sizes, quality)
            for _ in range(size)
        ]
        added += _insert_new(rows)
        if progress:
            progress(size)
    return added


def _one(rng, wave, questionnaire, wave_units, sizes, quality):
    unit_id = rng.choices(wave_units, weights=sizes)[0].unit_id
    channel = rng.choices([c for c, _ in CHANNEL_MIX], [p for _, p in CHANNEL_MIX])[0]
    submitted = utcnow() - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
    response = {
        "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
        "wave_id": wave.id,
        "unit_id": unit_id,
        "questionnaire_id": wave.questionnaire_id,
        "channel": channel,
        "language": "vi",
        "started_at": submitted - timedelta(seconds=rng.randint(120, 900)),
        "submitted_at": submitted,
        "duration_seconds": rng.randint(120, 900),
        "status": ResponseStatus.complete,
    }
    answers = synthetic_answers(questionnaire, rng, quality[unit_id])
    response["criteria_answered"], response["criteria_satisfied"] = criteria_masks(
        questionnaire, answers
    )
    return response, answers


def _insert_new(rows: list[tuple[dict, dict]]) -> int:
    """Insert the responses not stored yet, then their answers, with Core statements."""
    uuids = [response["uuid"] for response, _ in rows]
    existing = set(
        db.session.scalars(sa.select(Response.uuid).where(Response.uuid.in_(uuids)))
    )
    fresh = [(r, a) for r, a in rows if r["uuid"] not in existing]
    if not fresh:
        return 0
    db.session.execute(sa.insert(Response), [r for r, _ in fresh])
    ids = dict(
        db.session.execute(
            sa.select(Response.uuid, Response.id).where(
                Response.uuid.in_([r["uuid"] for r, _ in fresh])
            )
        ).all()
    )
    answer_rows = [
        {"response_id": ids[r["uuid"]], "item_code": code, "value": value}
        for r, answers in fresh
        for code, answer in answers.items()
        for value in ((answer,) if isinstance(answer, str) else answer)
    ]
    db.session.execute(sa.insert(Answer), answer_rows)
    return len(fresh)
