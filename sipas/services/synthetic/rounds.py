"""The demo's two survey rounds filled with responses: last year's (closed) and
this year's (the open demo round), so that results show changes.

Both rounds are designed as a provincial exit survey is: stratified by service
centre, each respondent sampled inside a centre (every response its own PSU),
weighted by the dossiers each centre handled. Everything is idempotent: a round
already filled gets nothing more, and the same seed draws the same responses.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from sipas.collector import cycles_collected_after
from sipas.extensions import db
from sipas.models import (
    Response,
    ResponseStatus,
    Role,
    User,
    Wave,
    WaveStatus,
    WaveUnit,
)
from sipas.services.responses import bulk
from sipas.services.responses.admin import change_statuses
from sipas.services.synthetic.paper import PaperReport, add_paper_forms
from sipas.services.synthetic.store import Added, Fill, add_responses
from sipas.services.waves.lookup import wave_by_code

log = logging.getLogger(__name__)

#: Responses of this year's demo round (`make run`); last year's has fewer.
CURRENT_RESPONSES = 20_000
PREVIOUS_SHARE = 0.7
PREVIOUS_WAVE_CODE = "demo-2025"
#: Last year's dossiers per centre, as a share of this year's.
PREVIOUS_POPULATION = 0.92
#: Share of the responses drawn now that an administrator voided, and why.
VOID_SHARE = 0.003
VOID_REASONS = (
    "Phiếu do cán bộ điền thử khi lắp đặt kiosk",
    "Người trả lời đề nghị hủy phiếu",
    "Phiếu trùng với phiếu giấy đã nhập",
)


@dataclass(frozen=True)
class RoundsReport:
    """What filling the demo rounds added (all zero on a second run)."""

    previous_created: bool
    previous_added: int
    current_added: int
    voided: int
    paper: PaperReport


def fill_demo_rounds(
    current: Wave,
    responses: int = CURRENT_RESPONSES,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> RoundsReport:
    """Last year's round (created if missing) and ``current`` with responses."""
    previous, created = ensure_previous_round(current)
    previous_count = round(responses * PREVIOUS_SHARE)
    before = Added()
    fill_previous = not _has_responses(previous)
    adding = responses + (previous_count if fill_previous else 0)
    earlier = bulk.any_stored()  # before last year's responses are added
    with bulk.indexes_built_after(adding), cycles_collected_after():
        if fill_previous:
            last_year = Fill(
                previous, previous_count, seed, current_round=False, whole_batches=True
            )
            before = add_responses(last_year, progress, earlier)
        this_year = Fill(current, responses, seed, whole_batches=True)
        now = add_responses(this_year, progress, earlier)
        rng = random.Random(f"{seed}:voids")  # noqa: S311  (reproducible demo data)
        voided = _void_some(rng, before.uuids) + _void_some(rng, now.uuids)
        paper = add_paper_forms(current, now, seed)
    log.info("demo rounds: %s + %s responses", len(before.uuids), len(now.uuids))
    return RoundsReport(created, len(before.uuids), len(now.uuids), voided, paper)


def ensure_previous_round(current: Wave) -> tuple[Wave, bool]:
    """Last year's closed round over the same centres and design as ``current``."""
    existing = wave_by_code(PREVIOUS_WAVE_CODE)
    if existing is not None:
        return existing, False
    year = (current.starts_on or date(2026, 1, 1)).year - 1
    previous = Wave(
        code=PREVIOUS_WAVE_CODE,
        title=f"Khảo sát sự hài lòng năm {year} (dữ liệu mẫu)",
        questionnaire=current.questionnaire,
        status=WaveStatus.closed,
        starts_on=date(year, 3, 1),
        ends_on=date(year, 11, 30),
        strata_level=current.strata_level,
        psu_level=current.psu_level,
        weighting=current.weighting,
    )
    previous.wave_units = [
        WaveUnit(
            unit=wu.unit,
            population=round((wu.population or 0) * PREVIOUS_POPULATION) or None,
            target_sample=wu.target_sample,
        )
        for wu in current.wave_units
    ]
    db.session.add(previous)
    db.session.flush()
    return previous, True


def _has_responses(wave: Wave) -> bool:
    return (
        db.session.scalar(sa.select(Response.id).filter_by(wave_id=wave.id).limit(1))
        is not None
    )


def _void_some(rng: random.Random, added: list[uuid.UUID]) -> int:
    """Void a few of the responses just added, as an administrator would."""
    chosen = sorted(rng.sample(added, round(len(added) * VOID_SHARE)))
    if not chosen:
        return 0
    admin = db.session.scalar(
        sa.select(User).filter_by(role=Role.admin).order_by(User.id).limit(1)
    )
    found = db.session.scalars(
        sa.select(Response).where(Response.uuid.in_(chosen)).order_by(Response.id)
    )
    changes = [
        (response, rng.choice(VOID_REASONS))
        for response in found
        if response.status is ResponseStatus.complete
    ]
    change_statuses(changes, "void", admin)
    return len(changes)
