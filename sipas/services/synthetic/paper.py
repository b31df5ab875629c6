"""Paper forms of the demo round in every state entry knows: issued and not yet
typed, typed once, typed twice alike (verified), typed twice differently
(waiting for settlement), and settled against the paper.

The round's paper responses are the verified forms: each gets its serial, its
printed form and two identical entries by two surveyors (a few were settled after
the two differed). A handful of forms per centre stay in the earlier states, so
the entry screens and the surveyor figures have something to show.
"""

from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sipas.database import plain_rows
from sipas.extensions import db
from sipas.models import (
    Answer,
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
    Questionnaire,
    deciding_items,
    visible_items,
)
from sipas.questionnaire.serials import format_serial
from sipas.services import accounts
from sipas.services.questionnaires import parsed
from sipas.services.responses import bulk
from sipas.services.synthetic.answers import Drawer, Respondent

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


def add_paper_forms(wave: Wave, added: list[uuid.UUID], seed: int) -> PaperReport:
    """Forms for the paper responses just ``added`` to ``wave``, and a few per
    centre in the unfinished states (none when nothing was added)."""
    if not added:
        return PaperReport()
    rng = random.Random(f"{seed}:paper")  # noqa: S311  (reproducible demo data)
    typist = _Typist.of(wave, rng)
    responses = db.session.execute(
        sa.select(Response.id, Response.unit_id, Response.submitted_at)
        .where(bulk.uuid_in(added), Response.channel == Channel.paper)
        .order_by(Response.id)
    ).all()
    answers = _answers_of(typist.questionnaire, [row.id for row in responses])
    settled = 0
    updates = []
    for response_id, unit_id, submitted_at in responses:
        serial = typist.issue(unit_id)
        settle = rng.random() < SETTLED_SHARE
        state = SETTLED if settle else VERIFIED
        typist.enter(unit_id, serial, answers[response_id], submitted_at, state)
        settled += settle
        updates.append(
            {
                "b_id": response_id,
                "paper_serial": format_serial(serial),
                "entered_by_id": typist.first.id,
            }
        )
    if updates:
        db.session.execute(
            sa.update(Response.__table__)
            .where(Response.__table__.c.id == sa.bindparam("b_id"))
            .values(
                paper_serial=sa.bindparam("paper_serial"),
                entered_by_id=sa.bindparam("entered_by_id"),
            ),
            updates,
        )
    unfinished = typist.unfinished()
    typist.flush()
    return PaperReport(len(responses) - settled, settled, *unfinished)


def _answers_of(
    questionnaire: Questionnaire, response_ids: list[int]
) -> dict[int, dict[str, AnswerValue]]:
    """The stored answers of responses (multi-choice answers as tuples), read as
    the driver's tuples: a demo's paper responses have 700 000 answer rows."""
    multi = {i.code for i in questionnaire.items if i.type is ItemType.multi_choice}
    found: dict[int, dict[str, AnswerValue]] = {}
    for chunk in range(0, len(response_ids), 5000):
        query = (
            sa.select(Answer.response_id, Answer.item_code, Answer.value)
            .where(Answer.response_id.in_(response_ids[chunk : chunk + 5000]))
            .order_by(Answer.response_id, Answer.item_code, Answer.value)
        )
        for response_id, code, value in plain_rows(query):
            answers = found.get(response_id)
            if answers is None:
                answers = found[response_id] = {}
            if code in multi:
                answers[code] = (*answers.get(code, ()), value)
            else:
                answers[code] = value
    return found


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
        self.criteria = {item.code for item in questionnaire.criteria}
        self.deciding = sorted(deciding_items(questionnaire))
        #: The codes of the visible items, by the answers to the deciding items.
        self.visible: dict[tuple, tuple[str, ...]] = {}
        self.forms: list[dict] = []
        self.entries: list[dict] = []

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
                "issued_at": datetime.combine(
                    self.wave.starts_on or datetime.now(UTC).date(),
                    datetime.min.time(),
                    UTC,
                ),
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
        versions = {"typed": typed, "changed": self._changed(typed)}
        users = {1: self.first, 2: self.second, 3: self.admin}
        for round_, version in enumerate(ROUNDS[state], start=1):
            seconds = self.rng.randint(55, 160)
            moment = when + timedelta(days=2 + round_, minutes=self.rng.randint(0, 400))
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
                    "keystrokes": self.rng.randint(40, 75),
                    "answers": versions[version],
                }
            )

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
        start = datetime.combine(
            self.wave.starts_on or datetime.now(UTC).date(), datetime.min.time(), UTC
        )
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
