"""Issuing numbered paper forms: the next serials of a wave, recorded and audited.

A serial is unique within its wave and never handed out twice, so a printed form
can be traced to its unit and batch and a lost or doubled form shows up at entry.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from sipas.extensions import db
from sipas.models import PaperForm, Unit, User, Wave, WaveStatus, WaveUnit
from sipas.questionnaire.serials import SERIAL_DIGITS, format_serial
from sipas.services import questionnaires
from sipas.services.audit import record_event
from sipas.services.waves.lookup import visible_waves

log = logging.getLogger(__name__)

#: Most forms one batch may hold (a print run, not a year's supply).
MAX_BATCH = 5000
#: Rounds forms may be issued for.
PRINTABLE = (WaveStatus.draft, WaveStatus.open)
#: Highest running number a serial can carry.
MAX_SERIAL = 10**SERIAL_DIGITS - 1
#: Attempts when another batch of the same wave took the serials first.
_ATTEMPTS = 3


class PaperFormsRefused(ValueError):
    """Forms cannot be issued as asked; ``message`` says why, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Batch:
    """Forms printed together, as the batch list shows them."""

    batch: str
    wave: Wave
    unit: Unit
    first_serial: int
    last_serial: int
    count: int
    issued_at: datetime
    issued_by: User | None

    @property
    def serial_range(self) -> str:
        """ "000001-3 – 000050-6" as printed."""
        first, last = format_serial(self.first_serial), format_serial(self.last_serial)
        return first if first == last else f"{first} – {last}"


def _check(wave: Wave, unit: Unit, count: int) -> None:
    if not 1 <= count <= MAX_BATCH:
        raise PaperFormsRefused(
            _("The number of forms must be between 1 and %(most)s.", most=MAX_BATCH)
        )
    if wave.status is WaveStatus.closed:
        raise PaperFormsRefused(
            _(
                "The wave %(wave)s is closed: no more forms can be issued.",
                wave=wave.code,
            )
        )
    taking_part = db.session.scalar(
        sa.select(WaveUnit.id).filter_by(wave_id=wave.id, unit_id=unit.id)
    )
    if taking_part is None:
        raise PaperFormsRefused(
            _(
                "The unit %(unit)s does not take part in the wave %(wave)s.",
                unit=unit.code,
                wave=wave.code,
            )
        )


def _next_serial(wave: Wave) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(PaperForm.serial)).filter_by(wave_id=wave.id)
    )
    return (highest or 0) + 1


def _insert(wave: Wave, unit: Unit, count: int, user: User | None) -> list[PaperForm]:
    """Take the next ``count`` serials; IntegrityError if another batch took one."""
    first = _next_serial(wave)
    if first + count - 1 > MAX_SERIAL:
        raise PaperFormsRefused(
            _("The wave %(wave)s has no serial numbers left.", wave=wave.code)
        )
    batch = uuid.uuid4().hex
    forms = [
        PaperForm(
            wave=wave,
            unit=unit,
            serial=serial,
            batch=batch,
            issued_by_id=user.id if user else None,
        )
        for serial in range(first, first + count)
    ]
    with db.session.begin_nested():
        db.session.add_all(forms)
    return forms


def issue_forms(
    wave: Wave, unit: Unit, count: int, user: User | None
) -> list[PaperForm]:
    """Record ``count`` new forms of ``unit`` with the wave's next serials, one batch.

    Raises PaperFormsRefused for a count outside 1…MAX_BATCH, a closed wave or a
    unit that does not take part in the wave.
    """
    _check(wave, unit, count)
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            forms = _insert(wave, unit, count, user)
            break
        except IntegrityError:
            # a concurrent batch took these serials; take the next ones
            log.warning("serials of wave %s taken, attempt %s", wave.code, attempt)
    else:
        raise PaperFormsRefused(
            _("Other forms were being issued at the same time; please try again.")
        )
    record_event(
        "paper.issue",
        user=user,
        object_type="paper_batch",
        object_id=forms[0].batch,
        details={
            "wave": wave.code,
            "unit": unit.code,
            "count": count,
            "first_serial": format_serial(forms[0].serial),
            "last_serial": format_serial(forms[-1].serial),
        },
    )
    log.info("%s paper forms issued for %s in %s", count, unit.code, wave.code)
    return forms


def batch_forms(batch: str) -> list[PaperForm]:
    """The forms of one batch in serial order (empty if there is no such batch)."""
    return list(
        db.session.scalars(
            sa.select(PaperForm).filter_by(batch=batch).order_by(PaperForm.serial)
        )
    )


def record_reprint(forms: list[PaperForm], user: User | None) -> None:
    """Audit that a batch was printed again (same serials, nothing new issued)."""
    first = forms[0]
    record_event(
        "paper.reprint",
        user=user,
        object_type="paper_batch",
        object_id=first.batch,
        details={
            "wave": first.wave.code,
            "unit": first.unit.code,
            "count": len(forms),
            "first_serial": format_serial(first.serial),
            "last_serial": format_serial(forms[-1].serial),
        },
    )


def recent_batches(limit: int = 50) -> list[Batch]:
    """The latest batches issued, newest first."""
    rows = db.session.execute(
        sa.select(
            PaperForm.batch,
            PaperForm.wave_id,
            PaperForm.unit_id,
            PaperForm.issued_by_id,
            sa.func.min(PaperForm.serial),
            sa.func.max(PaperForm.serial),
            sa.func.count(),
            sa.func.min(PaperForm.issued_at),
        )
        .group_by(
            PaperForm.batch,
            PaperForm.wave_id,
            PaperForm.unit_id,
            PaperForm.issued_by_id,
        )
        .order_by(
            sa.func.min(PaperForm.issued_at).desc(), sa.func.max(PaperForm.id).desc()
        )
        .limit(limit)
    ).all()
    return [
        Batch(
            batch=batch,
            wave=db.session.get_one(Wave, wave_id),
            unit=db.session.get_one(Unit, unit_id),
            first_serial=first,
            last_serial=last,
            count=count,
            issued_at=issued_at,
            issued_by=db.session.get(User, user_id) if user_id else None,
        )
        for batch, wave_id, unit_id, user_id, first, last, count, issued_at in rows
    ]


def paper_file_name(forms: list[PaperForm]) -> str:
    """The download name of a batch's PDF: round, unit and serial range."""
    first, last = forms[0], forms[-1]
    serials = f"{first.serial}-{last.serial}"
    return f"sipas-phieu-{first.wave.code}-{first.unit.code}-{serials}.pdf"


def forms_pdf(forms: list[PaperForm], language: str) -> bytes:
    """The printable PDF of forms of one wave and unit (one batch)."""
    first = forms[0]
    questionnaire = questionnaires.parsed(first.wave.questionnaire)
    # ReportLab is imported when a PDF is made, not when the app starts
    from sipas.reports.paper_pdf import render_forms

    return render_forms(questionnaire, first.wave, first.unit, forms, language)


def printable_waves() -> list[Wave]:
    """Waves forms may be issued for (draft or open), newest first."""
    return visible_waves(None, PRINTABLE)
