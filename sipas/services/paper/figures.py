"""Per-surveyor figures of paper entry, and the wave's rule for unverified forms."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import PaperEntry, ResponseStatus, User, Wave
from sipas.questionnaire import Questionnaire
from sipas.questionnaire.entry_keys import compared_items, differing_items
from sipas.services.audit import record_event
from sipas.services.paper.entry import (
    FIRST,
    SECOND,
    SETTLED,
    UNVERIFIED_REASON,
    produce_response,
    response_uuid,
)
from sipas.services.questionnaires import parsed
from sipas.services.responses import store


@dataclass(frozen=True)
class SurveyorFigures:
    """How one surveyor types: volume, agreement with the other entry, speed."""

    user: User
    #: First and second entries typed.
    forms: int
    #: Of those, forms that were typed twice (by them and someone else).
    double_entered: int
    #: Double-entered forms whose two entries differ.
    disagreeing: int
    #: Items differing and items compared over the double-entered forms.
    differing_items: int
    compared_items: int
    median_seconds: float | None

    @property
    def disagreement_rate(self) -> float | None:
        """Share of their double-entered forms with a difference."""
        return self.disagreeing / self.double_entered if self.double_entered else None

    @property
    def differences_per_100_items(self) -> float | None:
        if not self.compared_items:
            return None
        return 100 * self.differing_items / self.compared_items


@dataclass(frozen=True)
class _Typed:
    """One first or second entry, as the figures need it."""

    user_id: int
    seconds: int | None
    #: the entry's answers as the database holds them (JSON text)
    answers: str


def surveyor_figures(wave: Wave) -> list[SurveyorFigures]:
    """Figures of everyone who typed first or second entries in ``wave``, by name.

    Entries are read as plain rows, their answers as text: two entries with the
    same text agree without being compared item by item (21 000 forms: 2.2 s as
    objects compared one by one)."""
    questionnaire = parsed(wave.questionnaire)
    by_serial: dict[int, dict[int, _Typed]] = defaultdict(dict)
    for serial, round_, user_id, seconds, answers in db.session.execute(
        sa.select(
            PaperEntry.serial,
            PaperEntry.round,
            PaperEntry.entered_by_id,
            PaperEntry.seconds,
            sa.cast(PaperEntry.answers, sa.Text),
        ).where(PaperEntry.wave_id == wave.id, PaperEntry.round.in_((FIRST, SECOND)))
    ):
        by_serial[serial][round_] = _Typed(user_id, seconds, answers)
    tally: dict[int, dict] = defaultdict(
        lambda: {"forms": 0, "double": 0, "disagree": 0, "items": 0, "of": 0, "s": []}
    )
    for rounds in by_serial.values():
        first, second = rounds.get(FIRST), rounds.get(SECOND)
        pair = (first, second)
        differ = compared = 0
        if first is not None and second is not None:
            differ, compared = _compared(questionnaire, first.answers, second.answers)
        for entry in filter(None, pair):
            row = tally[entry.user_id]
            row["forms"] += 1
            if entry.seconds is not None:
                row["s"].append(entry.seconds)
            if all(pair):
                row["double"] += 1
                row["disagree"] += bool(differ)
                row["items"] += differ
                row["of"] += compared
    users = db.session.scalars(sa.select(User).where(User.id.in_(list(tally))))
    figures = [
        SurveyorFigures(
            user=user,
            forms=row["forms"],
            double_entered=row["double"],
            disagreeing=row["disagree"],
            differing_items=row["items"],
            compared_items=row["of"],
            median_seconds=statistics.median(row["s"]) if row["s"] else None,
        )
        for user, row in ((user, tally[user.id]) for user in users)
    ]
    return sorted(figures, key=lambda f: f.user.username)


def _compared(questionnaire: Questionnaire, first: str, second: str) -> tuple[int, int]:
    """Items differing and items compared between two entries' answers (JSON)."""
    if first == second:  # the same text: the same answers
        return 0, compared_items(json.loads(first), {})
    one, other = json.loads(first), json.loads(second)
    return len(differing_items(questionnaire, one, other)), compared_items(one, other)


def set_counts_unverified(wave: Wave, counts: bool, user: User) -> int:
    """Change the wave's rule for forms entered once or in disagreement; the
    responses of such forms follow at once. Returns how many responses changed."""
    if wave.counts_unverified_paper == counts:
        return 0
    wave.counts_unverified_paper = counts
    changed = 0
    for serial, first in _unverified_forms(wave).items():
        response = store.find_by_uuid(response_uuid(wave, serial))
        if counts and response is None:
            produce_response(wave, serial, first, verified=False)
        elif response is not None:
            response.status = (
                ResponseStatus.complete if counts else ResponseStatus.flagged
            )
            response.status_reason = None if counts else UNVERIFIED_REASON
        else:
            continue
        changed += 1
    record_event(
        "wave.paper_setting",
        user=user,
        object_type="wave",
        object_id=wave.code,
        details={"counts_unverified_paper": counts, "responses_changed": changed},
    )
    db.session.flush()
    return changed


def _unverified_forms(wave: Wave) -> dict[int, PaperEntry]:
    """First entries of forms neither verified nor settled, by serial."""
    questionnaire = parsed(wave.questionnaire)
    by_serial: dict[int, dict[int, PaperEntry]] = defaultdict(dict)
    for entry in db.session.scalars(
        sa.select(PaperEntry).where(PaperEntry.wave_id == wave.id)
    ):
        by_serial[entry.serial][entry.round] = entry
    unverified = {}
    for serial, rounds in by_serial.items():
        if SETTLED in rounds or FIRST not in rounds:
            continue
        second = rounds.get(SECOND)
        if second is not None and not differing_items(
            questionnaire, rounds[FIRST].answers, second.answers
        ):
            continue
        unverified[serial] = rounds[FIRST]
    return unverified
