"""Personal data in free-text answers: masked on the way out, originals shown to an
administrator only on request (audited), and erased for good once a wave's
retention period has passed.

The database keeps what the respondent wrote. Pages and files mask phone numbers,
ID numbers and e-mail addresses (sipas.questionnaire.personal_data) in the answers
to text questions when they are shown, so nothing else needs to change when the
originals are later replaced by their masked text: statistics never read free text,
and the masked exports stay byte for byte the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import (
    Answer,
    PaperEntry,
    QuestionnaireVersion,
    Response,
    ResponseDraft,
    User,
    Wave,
    WaveStatus,
)
from sipas.models.base import utcnow
from sipas.questionnaire import ItemType, Questionnaire
from sipas.questionnaire.personal_data import (
    contains_personal_data,
    mask_personal_data,
)
from sipas.services.audit import record_event
from sipas.services.clock import as_utc
from sipas.services.questionnaires import parsed

log = logging.getLogger(__name__)

#: Answers updated per statement when originals are erased.
BATCH = 2000


def text_item_codes(questionnaire: Questionnaire) -> frozenset[str]:
    """Codes of the questions answered in free text."""
    return frozenset(i.code for i in questionnaire.items if i.type is ItemType.text)


def masked_values(values: Mapping[str, Any], text_codes: Iterable[str]) -> dict:
    """``values`` (item code → answer) with the free-text answers masked."""
    masked = dict(values)
    for code in text_codes:
        value = masked.get(code)
        if isinstance(value, str):
            masked[code] = mask_personal_data(value)
    return masked


def holds_personal_data(response: Response) -> bool:
    """True when a free-text answer of ``response`` holds personal data unmasked."""
    codes = text_item_codes(parsed(response.questionnaire))
    return any(
        a.item_code in codes and contains_personal_data(a.value)
        for a in response.answers
    )


def record_original_shown(response: Response, user: User | None) -> None:
    """Audit that an administrator was shown the original free-text answers."""
    record_event(
        "response.show_original",
        user=user,
        object_type="response",
        object_id=str(response.uuid),
        details={"wave": response.wave.code, "unit": response.unit.code},
    )


# --- retention --------------------------------------------------------------


def erase_after(wave: Wave) -> datetime | None:
    """When the wave's original free text is due for erasure (None: not planned,
    while the wave is not closed or keeps its originals)."""
    if wave.text_retention_days is None or wave.status is not WaveStatus.closed:
        return None
    if wave.closed_at is None:
        return None
    return as_utc(wave.closed_at) + timedelta(days=wave.text_retention_days)


def is_due(wave: Wave, now: datetime) -> bool:
    """True when the wave's originals are to be erased at ``now``."""
    moment = erase_after(wave)
    return moment is not None and moment <= now


@dataclass(frozen=True)
class Erasure:
    """What erasing one wave's originals changed (or would change, in a dry run)."""

    wave: str
    answers: int
    paper_entries: int
    drafts: int

    @property
    def total(self) -> int:
        """Rows changed in all."""
        return self.answers + self.paper_entries + self.drafts


def due_waves(now: datetime | None = None) -> list[Wave]:
    """Closed waves whose retention period has passed, by code."""
    now = now or utcnow()
    waves = db.session.scalars(
        sa.select(Wave)
        .where(Wave.status == WaveStatus.closed, Wave.text_retention_days.is_not(None))
        .order_by(Wave.code)
    )
    return [wave for wave in waves if is_due(wave, now)]


def erase_originals(wave: Wave, *, dry_run: bool = False) -> Erasure:
    """Replace the wave's original free-text answers (responses, paper entries,
    unsent drafts) by their masked text; audited. A dry run changes nothing."""
    codes = _wave_text_codes(wave)
    erasure = Erasure(
        wave.code,
        _erase_answers(wave, codes, dry_run),
        _erase_json(PaperEntry, wave, codes, dry_run),
        _erase_json(ResponseDraft, wave, codes, dry_run),
    )
    if dry_run:
        return erasure
    first_time = wave.texts_erased_at is None
    if erasure.total or first_time:
        wave.texts_erased_at = utcnow()
        db.session.flush()
        record_event(
            "wave.texts_erased",
            user=None,
            object_type="wave",
            object_id=wave.code,
            details={
                "answers": erasure.answers,
                "paper_entries": erasure.paper_entries,
                "drafts": erasure.drafts,
                "retention_days": wave.text_retention_days,
            },
        )
        log.info("wave %s: %s original texts erased", wave.code, erasure.total)
    return erasure


def _wave_text_codes(wave: Wave) -> frozenset[str]:
    """Text questions of the wave's questionnaire and of any version its responses
    were answered on."""
    version_ids = set(
        db.session.scalars(
            sa.select(Response.questionnaire_id)
            .where(Response.wave_id == wave.id)
            .distinct()
        )
    )
    version_ids.add(wave.questionnaire_id)
    codes: set[str] = set()
    for version in db.session.scalars(
        sa.select(QuestionnaireVersion).where(QuestionnaireVersion.id.in_(version_ids))
    ):
        codes |= text_item_codes(parsed(version))
    return frozenset(codes)


def _erase_answers(wave: Wave, codes: frozenset[str], dry_run: bool) -> int:
    """Answer rows whose text changes when masked, rewritten in batches."""
    if not codes:
        return 0
    rows = db.session.execute(
        sa.select(Answer.response_id, Answer.item_code, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.wave_id == wave.id, Answer.item_code.in_(sorted(codes)))
    ).all()
    changes = [
        {"rid": rid, "code": code, "old": value, "new": masked}
        for rid, code, value in rows
        if (masked := mask_personal_data(value)) != value
    ]
    if not dry_run:
        table = Answer.__table__
        statement = (
            table.update()
            .where(
                table.c.response_id == sa.bindparam("rid"),
                table.c.item_code == sa.bindparam("code"),
                table.c.value == sa.bindparam("old"),
            )
            .values(value=sa.bindparam("new"))
        )
        for start in range(0, len(changes), BATCH):
            db.session.execute(statement, changes[start : start + BATCH])
    return len(changes)


#: The models that keep answers as JSON.
_JsonAnswers = TypeVar("_JsonAnswers", PaperEntry, ResponseDraft)


def _erase_json(
    model: type[_JsonAnswers],
    wave: Wave,
    codes: frozenset[str],
    dry_run: bool,
) -> int:
    """Rows of ``model`` (answers kept as JSON) whose free text changes when masked."""
    if not codes:
        return 0
    changed = 0
    for row in db.session.scalars(sa.select(model).where(model.wave_id == wave.id)):
        masked = masked_values(row.answers or {}, codes)
        if masked != (row.answers or {}):
            changed += 1
            if not dry_run:
                row.answers = masked
    if not dry_run:
        db.session.flush()
    return changed
