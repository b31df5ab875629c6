"""What the quality rules do to SIPAS: the rules before issue 13 against today's, on
one demo round.

Builds the demo province in a temporary SQLite database and records N responses
(default 4 000) through the real path (services.responses.record_many, so the real
rules judge each one) with a mix meant to look like a real round:

* honest respondents (sipas.services.synthetic around each centre's quality), by
  phone 45 %, kiosk 35 %, paper 15 %, interview 5 %, at a pace per answered question
  drawn log-normally around a median of 4 s (phone), 5 s (kiosk, one question a
  screen), 8 s (interview: read aloud), spread ×/÷ 1.6 (σ = 0.45);
* a share of them (default 12 %) honest and satisfied with everything: "Hài lòng"
  (or, one in four, "Rất hài lòng") to every criterion, the rest of their answers as
  other citizens give them, at a quicker pace (median 2.5 s an answer);
* a few genuine speeders and spam (default 2 %): uniformly random scores, or one
  score throughout for half of them, in 0.2-0.9 s an answer; a third of them come as
  bursts of five from one kiosk within a minute.

Then it prints SIPAS (whole round, 95 % interval) with the responses counted as they
should be (every honest one in, every spam out), under the old rules (any of: under
60 s except paper, more than 3 a minute from one kiosk, one score to ten criteria or
more) and under today's rules, and what each rule excluded or marked.

Run: .venv/bin/python benchmarks/quality_rules.py [--responses 4000]
     [--straight-liners 0.12] [--spam 0.02] [--seed 13]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_reporting import app_for  # noqa: E402
from sipas.extensions import db  # noqa: E402
from sipas.models import Channel, Response, ResponseStatus, Wave, WaveUnit  # noqa: E402
from sipas.questionnaire.quality import (  # noqa: E402
    DEVICE_RATE,
    STRAIGHT_LINING,
    answered_questions,
    signal_bit,
)
from sipas.services import demo, questionnaires  # noqa: E402
from sipas.services.questionnaires import parsed  # noqa: E402
from sipas.services.responses import store  # noqa: E402
from sipas.services.responses.quality import quality_summary  # noqa: E402
from sipas.services.results.sums import wave_analysis  # noqa: E402
from sipas.services.synthetic import synthetic_answers  # noqa: E402
from sipas.services.waves.lookup import wave_by_code  # noqa: E402
from sipas.stats.indices import Options  # noqa: E402

CHANNELS = (
    (Channel.web, 0.45, 4.0),
    (Channel.kiosk, 0.35, 5.0),
    (Channel.paper, 0.15, None),
    (Channel.interview, 0.05, 8.0),
)
PACE_SIGMA = 0.45
STRAIGHT_LINER_PACE = 2.5
#: The rules before issue 13 (sipas/services/quality.py as it was).
OLD_MIN_SECONDS = 60
OLD_ORDER = ("too_fast", DEVICE_RATE, STRAIGHT_LINING)
BATCH = 200


def _pace(rng: random.Random, median: float) -> float:
    return median * math.exp(rng.gauss(0, PACE_SIGMA))


class Mix:
    """Makes the responses of the round: (kind, submission, answers)."""

    def __init__(self, wave: Wave, rng: random.Random) -> None:
        self.rng = rng
        self.wave = wave
        self.questionnaire = parsed(wave.questionnaire)
        self.wave_units = list(
            db.session.scalars(sa.select(WaveUnit).where(WaveUnit.wave_id == wave.id))
        )
        self.quality = {wu.unit_id: rng.uniform(3.3, 4.4) for wu in self.wave_units}
        self.start = datetime(2026, 3, 1, tzinfo=UTC)

    def _unit(self) -> WaveUnit:
        sizes = [wu.population or 1 for wu in self.wave_units]
        return self.rng.choices(self.wave_units, weights=sizes)[0]

    def _answers(self, unit_id: int) -> dict[str, object]:
        return synthetic_answers(self.questionnaire, self.rng, self.quality[unit_id])

    def _submission(self, unit, channel, seconds, submitted, device=None):
        return store.Submission(
            uuid=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            wave=self.wave,
            unit=unit.unit,
            channel=channel,
            started_at=None
            if seconds is None
            else submitted - timedelta(seconds=seconds),
            submitted_at=submitted,
            device_code=device
            or (f"kiosk-{unit.unit_id}" if channel is Channel.kiosk else None),
            # synthetic answers leave a required box blank now and then
            enforce_required=False,
        )

    def _moment(self) -> datetime:
        return self.start + timedelta(minutes=self.rng.randint(0, 60 * 24 * 60))

    def honest(self, straight: bool) -> tuple[str, object, dict]:
        unit = self._unit()
        channel, _share, median = self.rng.choices(
            CHANNELS, weights=[c[1] for c in CHANNELS]
        )[0]
        answers = self._answers(unit.unit_id)
        if straight:
            score = "5" if self.rng.random() < 0.25 else "4"
            for item in self.questionnaire.criteria:
                if answers.get(item.code) in ("1", "2", "3", "4", "5"):
                    answers[item.code] = score
            median = median and STRAIGHT_LINER_PACE * median / 4.0
        seconds = None
        if median is not None:
            seconds = round(_pace(self.rng, median) * answered_questions(answers))
        kind = "satisfied straight-liner" if straight else "honest"
        return kind, self._submission(unit, channel, seconds, self._moment()), answers

    def spam(self, channel: Channel, submitted: datetime, unit=None, device=None):
        unit = unit or self._unit()
        answers = self._answers(unit.unit_id)
        same = str(self.rng.randint(1, 5)) if self.rng.random() < 0.5 else None
        for item in self.questionnaire.criteria:
            if answers.get(item.code) in ("1", "2", "3", "4", "5", "9"):
                answers[item.code] = same or str(self.rng.randint(1, 5))
        seconds = round(self.rng.uniform(0.2, 0.9) * answered_questions(answers))
        submission = self._submission(unit, channel, seconds, submitted, device)
        return "spam", submission, answers

    def burst(self) -> list[tuple[str, object, dict]]:
        """Five from one kiosk within a minute."""
        unit = self._unit()
        moment = self._moment()
        return [
            self.spam(
                Channel.kiosk,
                moment + timedelta(seconds=12 * k),
                unit,
                f"kiosk-{unit.unit_id}",
            )
            for k in range(5)
        ]


def build(count: int, straight_share: float, spam_share: float, seed: int) -> dict:
    """Record the round; {response uuid: kind}."""
    rng = random.Random(seed)
    wave = wave_by_code(demo.DEMO_WAVE_CODE)
    mix = Mix(wave, rng)
    spam_count = round(count * spam_share)
    items = []
    while len(items) < spam_count // 3 // 5 * 5:
        items.extend(mix.burst())
    while len(items) < spam_count:
        items.append(mix.spam(Channel.web, mix._moment()))
    while len(items) < count:
        items.append(mix.honest(rng.random() < straight_share))
    items.sort(key=lambda item: item[1].submitted_at)
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        store.record_many([(s, a) for _k, s, a in chunk])
        db.session.commit()
    return {submission.uuid: kind for kind, submission, _a in items}


def old_reason(row) -> str | None:
    """The reason the rules before issue 13 flagged a stored response with."""
    timed = row.channel is not Channel.paper
    raised = {
        "too_fast": timed
        and row.duration_seconds is not None
        and row.duration_seconds < OLD_MIN_SECONDS,
        DEVICE_RATE: timed and bool(row.quality_signals & signal_bit(DEVICE_RATE)),
        STRAIGHT_LINING: bool(row.quality_signals & signal_bit(STRAIGHT_LINING)),
    }
    return next((code for code in OLD_ORDER if raised[code]), None)


def sipas_with(wave: Wave, counted: set[int], truth: float | None = None) -> float:
    """SIPAS of the round counting exactly the responses ``counted``, printed."""
    db.session.execute(
        sa.update(Response)
        .where(Response.wave_id == wave.id)
        .values(
            status=sa.case(
                (Response.id.in_(counted), ResponseStatus.complete),
                else_=ResponseStatus.flagged,
            )
        )
    )
    overall = wave_analysis(wave, Options()).overall.overall
    value, interval = overall.estimate.value, overall.interval
    bias = "" if truth is None else f"  {100 * (value - truth):+.2f} points"
    print(
        f"{value:7.2%}  ({interval.lower:.2%}–{interval.upper:.2%})"
        f"  n = {overall.estimate.n}{bias}"
    )
    return value


def report(kinds: dict) -> None:
    wave = wave_by_code(demo.DEMO_WAVE_CODE)
    rows = db.session.execute(
        sa.select(
            Response.id,
            Response.uuid,
            Response.channel,
            Response.duration_seconds,
            Response.status,
            Response.quality_signals,
        ).where(Response.wave_id == wave.id)
    ).all()
    honest = {r.id for r in rows if kinds[r.uuid] != "spam"}
    old = {r.id: old_reason(r) for r in rows}
    new_counted = {r.id for r in rows if r.status is ResponseStatus.complete}
    summary = quality_summary(wave.id, None)
    mix = sorted(
        (kind, sum(1 for k in kinds.values() if k == kind))
        for kind in set(kinds.values())
    )
    print(f"Responses: {len(rows)}  (" + ", ".join(f"{k}: {v}" for k, v in mix) + ")")
    print()
    print("SIPAS of the round (95 % interval, counted responses, against the truth)")
    print("  every honest response in, spam out: ", end="")
    truth = sipas_with(wave, honest)
    print("  old rules (any one rule excludes):  ", end="")
    sipas_with(wave, {i for i, reason in old.items() if reason is None}, truth)
    print("  new rules (a combination excludes): ", end="")
    sipas_with(wave, new_counted, truth)
    print()
    _per_rule(rows, kinds, old, summary)
    db.session.rollback()


def _per_rule(rows, kinds, old, summary) -> None:
    by_id = {r.id: r for r in rows}
    print("Old rules: responses excluded, by the reason recorded (honest / spam)")
    for code in OLD_ORDER:
        ids = [i for i, reason in old.items() if reason == code]
        honest = sum(1 for i in ids if kinds[by_id[i].uuid] != "spam")
        print(
            f"  {code:<16} {len(ids):5d}   ({honest} honest / {len(ids) - honest} spam)"
        )
    excluded = [i for i, reason in old.items() if reason]
    honest = sum(1 for i in excluded if kinds[by_id[i].uuid] != "spam")
    spam = len(excluded) - honest
    print(f"  {'all':<16} {len(excluded):5d}   ({honest} honest / {spam} spam)")
    print()
    print("New rules: per rule, responses excluded / counted but marked for review")
    for rule in summary.rules:
        print(f"  {rule.code:<16} {rule.excluded:5d} / {rule.review:5d}")
    flagged = [r for r in rows if r.status is ResponseStatus.flagged]
    honest = sum(1 for r in flagged if kinds[r.uuid] != "spam")
    print(
        f"  {'any signal':<16} {summary.excluded:5d} / {summary.review:5d}"
        f"   (excluded: {honest} honest / {len(flagged) - honest} spam)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=4000)
    parser.add_argument("--straight-liners", type=float, default=0.12)
    parser.add_argument("--spam", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = app_for(f"sqlite:///{Path(folder) / 'quality.db'}")
        app.config["RATE_LIMIT_ENABLED"] = False
        with app.app_context():
            db.create_all()
            questionnaires.sync(
                questionnaires.questionnaire_files(ROOT / "questionnaires")
            )
            demo.ensure_demo("benchmark-password-1")
            db.session.commit()
            kinds = build(args.responses, args.straight_liners, args.spam, args.seed)
            report(kinds)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
