"""Paper forms of the demo round in every state entry knows: issued and not yet
typed, typed once, typed twice alike (verified), typed twice differently
(waiting for settlement), and settled against the paper.

The round's paper responses are the verified forms: each gets its serial, its
printed form and two identical entries by two surveyors (a few were settled after
the two differed). A handful of forms per centre stay in the earlier states, so
the entry screens and the surveyor figures have something to show.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import (
    Channel,
    PaperEntry,
    PaperForm,
    Response,
    Role,
    Unit,
    User,
    Wave,
    WaveUnit,
)
from sipas.questionnaire import (
    AnswerValue,
    ItemType,
    deciding_items,
    visible_items,
)
from sipas.questionnaire.serials import format_serial
from sipas.services import accounts
from sipas.services.questionnaires import parsed
from sipas.services.responses import bulk
from sipas.services.synthetic.answers import Drawer, Respondent
from sipas.services.synthetic.store import Added

#: The demo's surveyors (passwords random: an administrator sets real ones).
SURVEYORS = ("nhaplieu1", "nhaplieu2")
#: Forms per centre left in each unfinished state.
ISSUED_ONLY, ENTERED_ONCE, CONFLICTING = 20, 8, 3
#: A form's entries by state: what each round typed (the paper, or one answer
#: typed differently).
VERIFIED, SETTLED, ONCE, CONFLICT = "verified", "settled", "once", "conflict"
ROUNDS = {
    VERIFIED: ("typed", "typed"),
    SETTLED: ("typed", "changed", "typed"),
    ONCE: ("typed",),
    CONFLICT: ("typed", "changed"),
}
#: Share of the verified forms whose two entries differed and were settled.
SETTLED_SHARE = 0.02


@dataclass(frozen=True)
class PaperReport:
    """Paper forms added, by state."""

    verified: int = 0
    settled: int = 0
    issued_only: int = 0
    entered_once: int = 0
    conflicting: int = 0

    @property
    def total(self) -> int:
        """Forms added in every state."""
        return (
            self.verified
            + self.settled
            + self.issued_only
            + self.entered_once
            + self.conflicting
        )


def add_paper_forms(wave: Wave, added: Added, seed: int) -> PaperReport:
    """Forms for the paper responses just ``added`` to ``wave`` (in the order of
    their ids), and a few per centre in the unfinished states (none when nothing
    was added)."""
    if not added.uuids:
        return PaperReport()
    rng = random.Random(f"{seed}:paper")  # noqa: S311  (reproducible demo data)
    typist = _Typist.of(wave, rng)
    options = {
        item.code: item.choice_codes
        for item in typist.questionnaire.items
        if item.type is ItemType.multi_choice
    }
    drawn = added.paper
    settled = 0
    serials = []
    for response in drawn:
        serial = typist.issue(response.unit_id)
        settle = rng.random() < SETTLED_SHARE
        state = SETTLED if settle else VERIFIED
        answers = _unpacked(response.answers, options)
        typist.enter(response.unit_id, serial, answers, response.submitted_at, state)
        settled += settle
        serials.append(format_serial(serial))
    if drawn:
        changed: dict[str, Sequence[object]] = {
            "id": [response.response_id for response in drawn],
            "paper_serial": serials,
            "entered_by_id": [typist.first.id] * len(drawn),
        }
        bulk.update_columns(Response.__table__, "id", changed)
    # the forms left unfinished are made once, with the round's first forms: a
    # later run that adds responses adds their forms only
    unfinished = typist.unfinished() if typist.first_run else (0, 0, 0)
    typist.flush()
    return PaperReport(len(drawn) - settled, settled, *unfinished)


def _unpacked(
    packed: tuple[str, str | None], options: Mapping[str, Sequence[str]]
) -> dict[str, AnswerValue]:
    """A response's answers from their packed form (``options``: the options of
    each multiple-choice question, whose chosen ones come in that order, as an
    entry keeps them)."""
    single, chosen = packed
    answers: dict[str, AnswerValue] = json.loads(single)
    for code, picked in json.loads(chosen or "{}").items():
        if picked:
            answers[code] = tuple(o for o in options.get(code, picked) if o in picked)
    return answers


class _Typist:
    """Issues serials and types entries, collecting rows for bulk inserts."""

    def __init__(self, wave, rng, questionnaire, users, admin, units) -> None:
        self.wave, self.rng, self.questionnaire = wave, rng, questionnaire
        self.first, self.second = users
        self.admin = admin
        self.units: dict[int, Unit] = units
        self.next_serial = 1 + (
            db.session.scalar(
                sa.select(sa.func.max(PaperForm.serial)).filter_by(wave_id=wave.id)
            )
            or 0
        )
        #: True when the round had no form yet.
        self.first_run = self.next_serial == 1
        self.criteria = {item.code for item in questionnaire.criteria}
        self.deciding = sorted(deciding_items(questionnaire))
        #: The codes of the visible items, by the answers to the deciding items.
        self.visible: dict[tuple, tuple[str, ...]] = {}
        self.forms: list[dict] = []
        self.entries: list[dict] = []
        #: The round's first day, at midnight UTC: when its forms were printed.
        self.first_day = datetime.combine(
            wave.starts_on or datetime.now(UTC).date(), datetime.min.time(), UTC
        )

    @classmethod
    def of(cls, wave: Wave, rng: random.Random) -> _Typist:
        users = tuple(_surveyor(name) for name in SURVEYORS)
        admin = db.session.scalar(
            sa.select(User).filter_by(role=Role.admin).order_by(User.id).limit(1)
        )
        units = {
            wu.unit_id: wu.unit
            for wu in db.session.scalars(sa.select(WaveUnit).filter_by(wave_id=wave.id))
        }
        return cls(
            wave, rng, parsed(wave.questionnaire), users, admin or users[0], units
        )

    def issue(self, unit_id: int) -> int:
        """The next serial, printed for ``unit_id``."""
        serial, self.next_serial = self.next_serial, self.next_serial + 1
        self.forms.append(
            {
                "wave_id": self.wave.id,
                "unit_id": unit_id,
                "serial": serial,
                "batch": f"demo-{self.units[unit_id].code}",
                "issued_at": self.first_day,
                "issued_by_id": self.admin.id,
            }
        )
        return serial

    def enter(
        self,
        unit_id: int,
        serial: int,
        answers: dict[str, AnswerValue],
        when: datetime,
        state: str = VERIFIED,
    ) -> None:
        """The entries of one form in ``state`` (see :data:`ROUNDS`)."""
        typed = self._typed(answers)
        rounds = ROUNDS[state]
        versions = {"typed": typed}
        if "changed" in rounds:
            versions["changed"] = self._changed(typed)
        users = {1: self.first, 2: self.second, 3: self.admin}
        draw = self._between
        for round_, version in enumerate(rounds, start=1):
            seconds = draw(55, 160)
            moment = when + timedelta(days=2 + round_, minutes=draw(0, 400))
            self.entries.append(
                {
                    "wave_id": self.wave.id,
                    "unit_id": unit_id,
                    "serial": serial,
                    "round": round_,
                    "entered_by_id": users[round_].id,
                    "started_at": moment - timedelta(seconds=seconds),
                    "submitted_at": moment,
                    "seconds": seconds,
                    "keystrokes": draw(40, 75),
                    "answers": versions[version],
                }
            )

    def _between(self, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high``, each as likely (randint's
        own draw costs ten times more: 130 000 of them for a large demo)."""
        return low + int(self.rng.random() * (high - low + 1))

    def _typed(self, answers: dict[str, AnswerValue]) -> dict[str, object]:
        """A form's entry: every item the skip rules show, None where left blank
        (the items shown are worked out once per answers to the deciding items)."""
        key = tuple(answers.get(code) for code in self.deciding)
        shown = self.visible.get(key)
        if shown is None:
            items = visible_items(self.questionnaire, answers)
            shown = self.visible[key] = tuple(item.code for item in items)
        return {code: answers.get(code) for code in shown}

    def _changed(self, typed: dict) -> dict:
        """The same form with one criterion typed differently."""
        criteria = [c for c in typed if c in self.criteria and typed[c]]
        changed = dict(typed)
        if criteria:
            code = self.rng.choice(criteria)
            changed[code] = self.rng.choice([v for v in "12345" if v != typed[code]])
        return changed

    def unfinished(self) -> tuple[int, int, int]:
        """Forms per centre issued only, typed once and typed twice differently."""
        drawer = Drawer(self.questionnaire)
        start = self.first_day
        for unit_id, unit in sorted(self.units.items()):
            for _ in range(ISSUED_ONLY):
                self.issue(unit_id)
            for state in (ONCE,) * ENTERED_ONCE + (CONFLICT,) * CONFLICTING:
                serial = self.issue(unit_id)
                who = Respondent(unit.code, Channel.paper.value, current_round=True)
                answers = drawer.draw(self.rng, who)
                self.enter(unit_id, serial, answers, start + timedelta(days=30), state)
        count = len(self.units)
        return ISSUED_ONLY * count, ENTERED_ONCE * count, CONFLICTING * count

    def flush(self) -> None:
        """Insert the collected forms and entries."""
        for model, rows in ((PaperForm, self.forms), (PaperEntry, self.entries)):
            if rows:
                columns = {name: [row[name] for row in rows] for name in rows[0]}
                bulk.insert_columns(model.__table__, columns)


def _surveyor(username: str) -> User:
    """The demo surveyor ``username``, created on first use."""
    user = accounts.find_user(username)
    if user is None:
        user = accounts.create_user(username, secrets.token_urlsafe(16), Role.surveyor)
    return user
