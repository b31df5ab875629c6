"""The demo rounds `make run` loads: shaped like published SIPAS (levels computed by
the real results engine), designed so that centres compare, idempotent and
reproducible.

The levels are checked on 6 000 responses (4 200 last year) rather than the
20 000 of `make run`: enough for the ranges to hold, and a few seconds to load.
"""

from __future__ import annotations

import gc
import hashlib

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import (
    Answer,
    AuditEvent,
    PaperEntry,
    PaperForm,
    Response,
    ResponseStatus,
    Unit,
    Wave,
)
from sipas.questionnaire import criteria_masks, validate_answers
from sipas.questionnaire.quality import FAR_TOO_FAST, signal_codes
from sipas.questionnaire.serials import parse_serial
from sipas.services import accounts
from sipas.services.paper.entry import disagreement
from sipas.services.questionnaires import parsed
from sipas.services.results import compute, sums
from sipas.services.synthetic import paper, rounds, store
from sipas.services.waves.lookup import wave_by_code
from sipas.stats.indices import Options
from tests.e2e.conftest import demo_app as app_with_demo

RESPONSES = 6000


@pytest.fixture(scope="module")
def filled_app(tmp_path_factory):
    """An app of its own whose demo has its two rounds filled, loaded once for
    the tests that only read it; and what the filling reported."""
    app = app_with_demo(tmp_path_factory.mktemp("demo-rounds"))
    with app.app_context():
        report = rounds.fill_demo_rounds(wave_by_code("demo"), RESPONSES, seed=1)
        db.session.commit()
    return app, report


@pytest.fixture
def filled(filled_app):
    """Inside the filled demo's app: what filling it reported."""
    app, report = filled_app
    with app.app_context():
        yield report
        db.session.rollback()


def digest() -> str:
    """A digest of every stored response of the demo rounds and its answers."""
    hashed = hashlib.sha256()
    rows = db.session.execute(
        sa.select(
            Wave.code,
            Unit.code,
            Response.channel,
            Response.status,
            Response.submitted_at,
            Answer.item_code,
            Answer.value,
        )
        .join(Wave, Wave.id == Response.wave_id)
        .join(Unit, Unit.id == Response.unit_id)
        .join(Answer, Answer.response_id == Response.id)
        .order_by(Response.uuid, Answer.item_code, Answer.value)
    )
    for row in rows:
        hashed.update(repr(tuple(row)).encode())
    return hashed.hexdigest()


def forget_demo_rounds() -> None:
    """Delete every response, form and audit event of the demo rounds."""
    db.session.execute(sa.delete(PaperEntry))
    db.session.execute(sa.delete(PaperForm))
    db.session.execute(sa.delete(Answer))
    db.session.execute(sa.delete(Response))
    db.session.execute(sa.delete(AuditEvent))
    db.session.commit()


def test_two_rounds_last_year_closed_this_year_open(filled):
    current, previous = wave_by_code("demo"), wave_by_code(rounds.PREVIOUS_WAVE_CODE)
    assert filled.previous_created
    assert (filled.current_added, filled.previous_added) == (RESPONSES, 4200)
    assert previous.status == "closed"
    assert current.status == "open"
    assert compute.previous_wave(current) == previous
    # a provincial exit survey: strata are the centres, each response its own PSU
    for wave in (current, previous):
        assert wave.strata_level == "centre"
        assert wave.psu_level is None
        assert all(wu.population for wu in wave.wave_units)


def test_the_filled_database_has_every_index_of_the_models(filled):
    # on SQLite the demo writes without them and makes them at its end
    inspector = sa.inspect(db.engine)
    for model in (Response, Answer):
        declared = {index.name for index in model.__table__.indexes}
        found = {index["name"] for index in inspector.get_indexes(model.__tablename__)}
        assert declared <= found, model.__tablename__
    signalled = {index["name"]: index for index in inspector.get_indexes("responses")}[
        "ix_responses_signalled"
    ]
    assert signalled["column_names"][:2] == ["wave_id", "status"]


def test_a_second_run_adds_nothing(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sipas", "questionnaire", "sync"]).exit_code == 0
    args = ["sipas", "demo", "--responses", "400", "--seed", "3"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    counts = [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Wave, Response, Answer, PaperForm, PaperEntry, AuditEvent)
    ]
    assert counts[1] == 400 + 280
    second = runner.invoke(args=args)
    assert second.exit_code == 0, second.output
    assert [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Wave, Response, Answer, PaperForm, PaperEntry, AuditEvent)
    ] == counts


@pytest.mark.usefixtures("demo_app")
def test_the_same_seed_draws_the_same_data():
    wave = wave_by_code("demo")
    rounds.fill_demo_rounds(wave, 300, seed=4)
    db.session.commit()
    first = digest()
    forget_demo_rounds()
    rounds.fill_demo_rounds(wave, 300, seed=4)
    db.session.commit()
    assert digest() == first
    forget_demo_rounds()
    rounds.fill_demo_rounds(wave, 300, seed=5)
    db.session.commit()
    assert digest() != first


def test_answers_follow_the_questionnaire_and_masks_match(filled):
    wave = wave_by_code("demo")
    questionnaire = parsed(wave.questionnaire)
    sample = db.session.scalars(
        sa.select(Response).filter_by(wave_id=wave.id).order_by(Response.id).limit(200)
    ).all()
    for response in sample:
        answers: dict[str, object] = {}
        for answer in response.answers:
            item = questionnaire.item(answer.item_code)
            if item.type.value == "multi_choice":
                answers.setdefault(item.code, []).append(answer.value)
            else:
                answers[item.code] = answer.value
        validated = validate_answers(questionnaire, answers)
        assert validated.is_valid, validated.problems
        assert criteria_masks(questionnaire, validated.answers) == (
            response.criteria_answered,
            response.criteria_satisfied,
        )


def test_levels_are_those_of_published_sipas(filled):
    results = compute.wave_results(wave_by_code("demo"))
    sipas = results.indices.overall.estimate.value
    assert 0.80 <= sipas <= 0.86
    factors = {f.code: f.estimate.value for f in results.indices.factors}
    weakest, *others = sorted(factors, key=factors.get)
    assert weakest == "E"
    assert 0.005 <= factors[others[0]] - factors["E"] <= 0.03
    criteria = sorted(c.estimate.value for c in results.indices.criteria)
    assert 0.06 <= criteria[-1] - criteria[0] <= 0.13  # spread over ~8 points
    # factor E is answered only by those who gave feedback: few
    e1 = next(c for c in results.indices.criteria if c.code == "E1").estimate
    assert e1.n < 0.2 * results.responses
    # channels and respondent groups differ
    for breakdown in results.breakdowns:
        if breakdown.code in ("channel", "age_group", "education"):
            shown = [r.indices.overall.estimate.value for r in breakdown.rows]
            assert max(shown) - min(shown) > 0.02, breakdown.code


def test_the_change_since_last_year_shows(filled):
    changes = {c.code: c for c in compute.wave_results(wave_by_code("demo")).changes}
    overall = changes["overall"].difference
    assert 0.005 < overall.value < 0.04
    assert overall.is_significant


def test_centres_compare_with_real_intervals(filled):
    results = compute.wave_results(wave_by_code("demo"))
    province = results.indices.overall.estimate.value
    ranking = results.ranking
    assert len(ranking) == 5
    assert all(r.untestable == () and not r.untestable_with_next for r in ranking)
    intervals = [r.indices.overall.interval for r in ranking]
    assert any(i.lower > province for i in intervals)  # better than the province
    assert any(i.upper < province for i in intervals)  # worse
    assert any(i.lower < province < i.upper for i in intervals)  # alike
    pairs = [(r.unit.code, o) for r in ranking for o in r.indistinguishable]
    assert pairs  # ties where there are ties ...
    assert len(pairs) // 2 < 5  # ... and most of the 10 pairs differ


def test_perception_shares_are_near_published_levels(filled):
    wave = wave_by_code("demo")
    codes = ["harassment", "unofficial_payment", "on_time", "trips"]
    shares = sums.wave_shares(wave, codes, Options())
    share = {(s.item, s.option): s.estimate.value for c in codes for s in shares[c]}
    assert 0.01 <= share["harassment", "yes"] <= 0.06
    assert 0.01 <= share["unofficial_payment", "yes"] <= 0.06
    assert 0.02 <= share["on_time", "late"] < 0.10
    assert share["trips", "1"] + share["trips", "2"] >= 0.8


def test_some_responses_flagged_by_the_quality_rules_and_a_few_voided(filled):
    statuses = dict(
        db.session.execute(
            sa.select(Response.status, sa.func.count()).group_by(Response.status)
        ).all()
    )
    total = sum(statuses.values())
    assert 0.003 * total < statuses[ResponseStatus.flagged] < 0.05 * total
    assert 0 < statuses[ResponseStatus.void] < 0.01 * total
    assert filled.voided == statuses[ResponseStatus.void]
    flagged = db.session.scalars(
        sa.select(Response.quality_signals).filter_by(status=ResponseStatus.flagged)
    ).all()
    assert all(FAR_TOO_FAST in signal_codes(mask) for mask in flagged)
    marked = db.session.scalar(
        sa.select(sa.func.count()).where(
            Response.status == ResponseStatus.complete, Response.quality_signals != 0
        )
    )
    assert marked > 0  # counted, marked for review


def test_paper_forms_in_every_state(filled):
    wave = wave_by_code("demo")
    rounds_of: dict[int, set[int]] = {}
    for serial, round_ in db.session.execute(
        sa.select(PaperEntry.serial, PaperEntry.round).filter_by(wave_id=wave.id)
    ):
        rounds_of.setdefault(serial, set()).add(round_)
    serials = set(
        db.session.scalars(sa.select(PaperForm.serial).filter_by(wave_id=wave.id))
    )
    states = {
        "issued": serials - set(rounds_of),
        "once": {s for s, r in rounds_of.items() if r == {1}},
        "twice": {s for s, r in rounds_of.items() if r == {1, 2}},
        "settled": {s for s, r in rounds_of.items() if r == {1, 2, 3}},
    }
    assert all(states.values()), {k: len(v) for k, v in states.items()}
    conflicting = {s for s in states["twice"] if disagreement(wave, s) is not None}
    assert conflicting
    assert conflicting != states["twice"]
    paper = db.session.scalars(
        sa.select(Response.paper_serial).where(
            Response.wave_id == wave.id, Response.channel == "paper"
        )
    ).all()
    verified = (states["twice"] - conflicting) | states["settled"]
    assert len(paper) == len(verified) == filled.paper.verified + filled.paper.settled
    assert all(paper)


def test_each_paper_response_is_what_its_form_was_typed_as(filled):
    # the forms are typed from the answers as drawn; the response holds them as
    # stored: the two agree, answer by answer (a multiple choice: its options)
    wave = wave_by_code("demo")
    typed = {
        serial: answers
        for serial, answers in db.session.execute(
            sa.select(PaperEntry.serial, PaperEntry.answers).filter_by(
                wave_id=wave.id, round=1
            )
        )
    }
    stored: dict[str, dict[str, list[str]]] = {}
    query = (
        sa.select(Response.paper_serial, Answer.item_code, Answer.value)
        .join(Answer)
        .where(Response.wave_id == wave.id, Response.channel == "paper")
    )
    for serial, code, value in db.session.execute(query):
        stored.setdefault(serial, {}).setdefault(code, []).append(value)
    assert len(stored) == filled.paper.verified + filled.paper.settled
    for serial, answers in stored.items():
        entry = typed[parse_serial(serial)]
        given = {code: value for code, value in entry.items() if value}
        assert {
            code: sorted(value) if isinstance(value, list) else [value]
            for code, value in given.items()
        } == {code: sorted(values) for code, values in answers.items()}


def _seen_by_demo(app, monkeypatch, module, name: str, look, responses: int) -> list:
    """What ``look()`` gave at each call of ``module.name`` while the demo command
    made ``responses`` responses."""
    seen: list = []
    called = getattr(module, name)

    def spy(*args, **kwargs):
        seen.append(look())
        return called(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sipas", "questionnaire", "sync"]).exit_code == 0
    result = runner.invoke(args=["sipas", "demo", "--responses", str(responses)])
    assert result.exit_code == 0, result.output
    return seen


def test_the_rounds_are_filled_with_the_cycle_collector_paused(app, monkeypatch):
    seen = _seen_by_demo(app, monkeypatch, store, "insert_new", gc.isenabled, 50)
    assert seen
    assert not any(seen)
    assert gc.isenabled()


def test_responses_of_this_round_stored_in_another_are_skipped_not_refused(app):
    # a UUID is unique across every round: the drawn responses, moved (or their
    # export imported) into last year's round, are looked up and left there
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sipas", "questionnaire", "sync"]).exit_code == 0
    args = ["sipas", "demo", "--responses", "30"]
    assert runner.invoke(args=args).exit_code == 0
    previous = wave_by_code(rounds.PREVIOUS_WAVE_CODE)
    current = wave_by_code("demo")
    db.session.execute(
        sa.update(Response)
        .where(Response.wave_id == current.id)
        .values(wave_id=previous.id)
    )
    db.session.commit()
    again = runner.invoke(args=args)
    assert again.exit_code == 0, again.output
    count = sa.select(sa.func.count()).select_from(Response)
    assert db.session.scalar(count.where(Response.wave_id == current.id)) == 0


def test_a_demo_into_an_empty_database_looks_up_none_of_its_responses(app, monkeypatch):
    # last year's responses, added by the same run, come from a stream of their
    # own: this year's need no lookup either (100 000 of them took 0.4 s)
    looked_up: list[int] = []
    lookup = store.bulk.stored_waves

    def stored_waves(uuids):
        looked_up.append(len(uuids))
        return lookup(uuids)

    monkeypatch.setattr(store.bulk, "stored_waves", stored_waves)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sipas", "questionnaire", "sync"]).exit_code == 0
    first = runner.invoke(args=["sipas", "demo", "--responses", "40"])
    assert first.exit_code == 0, first.output
    assert looked_up == []
    more = runner.invoke(args=["sipas", "demo", "--responses", "60"])
    assert more.exit_code == 0, more.output
    assert looked_up == [60]  # a database with responses: each batch looked up


def test_a_run_asking_for_more_adds_the_difference(app):
    # the last, smaller batch is drawn whole and cut: 40 then 60 draws the same
    # first 40 (each drawn at its own size, they had 10 responses in common)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sipas", "questionnaire", "sync"]).exit_code == 0
    for asked in (40, 60):
        result = runner.invoke(args=["sipas", "demo", "--responses", str(asked)])
        assert result.exit_code == 0, result.output
    count = sa.select(sa.func.count()).select_from(Response)
    current, previous = wave_by_code("demo"), wave_by_code(rounds.PREVIOUS_WAVE_CODE)
    assert db.session.scalar(count.where(Response.wave_id == current.id)) == 60
    assert db.session.scalar(count.where(Response.wave_id == previous.id)) == 28


def test_a_round_without_paper_responses_still_gets_unfinished_forms(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sipas", "questionnaire", "sync"]).exit_code == 0
    result = runner.invoke(args=["sipas", "demo", "--responses", "1"])
    assert result.exit_code == 0, result.output
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).filter_by(channel="paper")
        )
        == 0
    )
    units = len(wave_by_code("demo").wave_units)
    entered = sa.select(PaperEntry.serial).distinct()
    issued_only = (
        sa.select(sa.func.count())
        .select_from(PaperForm)
        .where(PaperForm.serial.not_in(entered))
    )
    assert db.session.scalar(issued_only) == paper.ISSUED_ONLY * units
    assert accounts.find_user(paper.SURVEYORS[0]) is not None


def test_a_run_that_adds_responses_adds_no_more_unfinished_forms(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sipas", "questionnaire", "sync"]).exit_code == 0
    entered = sa.select(PaperEntry.serial).distinct()
    issued_only = (
        sa.select(sa.func.count())
        .select_from(PaperForm)
        .where(PaperForm.serial.not_in(entered))
    )
    units = None
    for count in ("200", "400"):  # the same seed: the second adds 200 more
        result = runner.invoke(args=["sipas", "demo", "--responses", count])
        assert result.exit_code == 0, result.output
        units = units or len(wave_by_code("demo").wave_units)
        assert db.session.scalar(issued_only) == paper.ISSUED_ONLY * units
    forms = sa.select(sa.func.count()).select_from(PaperForm)
    paper_responses = (
        sa.select(sa.func.count())
        .select_from(Response)
        .where(Response.channel == "paper", Response.wave_id == wave_by_code("demo").id)
    )
    unfinished = (paper.ISSUED_ONLY + paper.ENTERED_ONCE + paper.CONFLICTING) * units
    assert db.session.scalar(forms) == db.session.scalar(paper_responses) + unfinished


@pytest.mark.sqlite_only
def test_a_new_installations_demo_writes_its_pages_in_place(app, monkeypatch):
    # written once into the file, not through the write-ahead log (0.5 s of 10 s)
    journals = _seen_by_demo(
        app, monkeypatch, rounds, "fill_demo_rounds", _journal_mode, 30
    )
    assert journals == ["delete"]
    assert _journal_mode() == "wal"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 51
    # a database that holds responses may have readers: the log stays
    more = app.test_cli_runner().invoke(args=["sipas", "demo", "--responses", "40"])
    assert more.exit_code == 0, more.output
    assert journals == ["delete", "wal"]


def _journal_mode() -> str:
    """The journal mode of the session's connection."""
    return db.session.connection().exec_driver_sql("PRAGMA journal_mode").scalar()
