"""Per-surveyor figures of paper entry, and the wave's rule for unverified forms."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import PaperEntry, Response, ResponseStatus, User, Wave
from sipas.questionnaire import Questionnaire
from sipas.questionnaire.entry_keys import compared_items, differing_items
from sipas.services.audit import record_event
from sipas.services.paper.entry import (
    FIRST,
    SECOND,
    SETTLED,
    UNVERIFIED_REASON,
    produce_responses,
    response_uuid,
)
from sipas.services.questionnaires import parsed
from sipas.services.responses import bulk
from sipas.services.waves.publication import refuse_if_published


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
    """One entry of a form, as the figures need it."""

    id: int
    user_id: int
    seconds: int | None
    #: the entry's answers as the database holds them (JSON text)
    answers: str


def _typed_entries(wave: Wave, rounds: tuple[int, ...]) -> dict[int, dict[int, _Typed]]:
    """The entries of ``wave`` in ``rounds`` by serial and round, as plain rows with
    their answers as text (no object per entry, no answers decoded)."""
    by_serial: dict[int, dict[int, _Typed]] = defaultdict(dict)
    for entry_id, serial, round_, user_id, seconds, answers in db.session.execute(
        sa.select(
            PaperEntry.id,
            PaperEntry.serial,
            PaperEntry.round,
            PaperEntry.entered_by_id,
            PaperEntry.seconds,
            sa.cast(PaperEntry.answers, sa.Text),
        ).where(PaperEntry.wave_id == wave.id, PaperEntry.round.in_(rounds))
    ):
        by_serial[serial][round_] = _Typed(entry_id, user_id, seconds, answers)
    return by_serial


def surveyor_figures(wave: Wave) -> list[SurveyorFigures]:
    """Figures of everyone who typed first or second entries in ``wave``, by name.

    Entries are read as plain rows, their answers as text: two entries with the
    same text agree without being compared item by item (21 000 forms: 2.2 s as
    objects compared one by one)."""
    questionnaire = parsed(wave.questionnaire)
    by_serial = _typed_entries(wave, (FIRST, SECOND))
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
    responses of such forms follow at once. Returns how many responses changed;
    PublishedFigures when the round's results are public."""
    if wave.counts_unverified_paper == counts:
        return 0
    refuse_if_published(wave)
    wave.counts_unverified_paper = counts
    forms = _unverified_forms(wave)
    responses = _responses_of(wave, forms)
    for response in responses.values():
        response.status = ResponseStatus.complete if counts else ResponseStatus.flagged
        response.status_reason = None if counts else UNVERIFIED_REASON
    changed = len(responses)
    if counts:
        missing = {s: e for s, e in forms.items() if s not in responses}
        changed += produce_responses(wave, missing)
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
    """First entries of forms neither verified nor settled, by serial. The forms
    are told apart on plain rows (see surveyor_figures); only the first entries
    of the unverified ones are loaded as objects."""
    questionnaire = parsed(wave.questionnaire)
    first_ids = {}
    for serial, rounds in _typed_entries(wave, (FIRST, SECOND, SETTLED)).items():
        if SETTLED in rounds or FIRST not in rounds:
            continue
        first, second = rounds[FIRST], rounds.get(SECOND)
        if second is not None and (
            first.answers == second.answers  # the same text: the same answers
            or not _compared(questionnaire, first.answers, second.answers)[0]
        ):
            continue
        first_ids[serial] = first.id
    ids = list(first_ids.values())
    entries = {}
    for start in range(0, len(ids), LOADED_AT_ONCE):
        chosen = PaperEntry.id.in_(ids[start : start + LOADED_AT_ONCE])
        entries.update(
            {e.id: e for e in db.session.scalars(sa.select(PaperEntry).where(chosen))}
        )
    return {serial: entries[first_ids[serial]] for serial in sorted(first_ids)}


#: Entries loaded per query (one parameter each).
LOADED_AT_ONCE = 1000


def _responses_of(wave: Wave, forms: Mapping[int, PaperEntry]) -> dict[int, Response]:
    """The responses the ``forms`` (by serial) have, by serial, in one query."""
    if not forms:
        return {}
    serial_of = {response_uuid(wave, serial): serial for serial in forms}
    query = sa.select(Response).where(bulk.uuid_in(list(serial_of)))
    return {
        serial_of[response.uuid]: response for response in db.session.scalars(query)
    }
