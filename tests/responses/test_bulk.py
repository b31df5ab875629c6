"""Responses written in bulk (sipas/services/responses/bulk.py) and the imports
that use it: stored exactly as a Core insert stores them, with ids the database
would have given, in a number of statements that does not grow with the file,
all or nothing, once."""

from __future__ import annotations

import gc
import random
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Channel, Response, ResponseStatus
from sipas.services.responses import bulk, imports
from sipas.services.units.lookup import unit_by_code
from tests.factories import make_response
from tests.responses.test_imports import csv_file, english, make_row, run, stored_count

#: A moment with microseconds, in UTC.
MOMENT = datetime(2026, 3, 2, 1, 30, 15, 123456, tzinfo=UTC)


def columns_of(wave, count: int) -> dict[str, list]:
    """``count`` responses of ``wave`` column by column, values of every type."""
    unit = unit_by_code("QN-HALONG-TT")
    return {
        "uuid": [uuid.uuid4() for _ in range(count)],
        "wave_id": [wave.id] * count,
        "unit_id": [unit.id] * count,
        "questionnaire_id": [wave.questionnaire_id] * count,
        "channel": [Channel.kiosk, Channel.paper][:count],
        "language": ["en", "vi"][:count],
        "started_at": [MOMENT - timedelta(seconds=300), None][:count],
        "submitted_at": [MOMENT, MOMENT + timedelta(days=1)][:count],
        "duration_seconds": [300, None][:count],
        "status": [ResponseStatus.flagged, ResponseStatus.complete][:count],
        "status_reason": ["too_fast,far_too_fast", None][:count],
        "criteria_answered": [2**40 + 3, 0][:count],
        "criteria_satisfied": [1, 0][:count],
        "quality_signals": [5, 0][:count],
    }


def stored(response_uuid: uuid.UUID) -> dict:
    """A stored response's columns as the ORM reads them (id and uuid aside)."""
    db.session.expire_all()
    response = db.session.scalar(sa.select(Response).filter_by(uuid=response_uuid))
    return {
        column.key: getattr(response, column.key)
        for column in Response.__table__.columns
        if column.key not in ("id", "uuid", "received_at")
    }


#: Columns whose values take the bind processor's shortcuts: one moment object
#: down the whole column (processed once), packed choices as bytes.
SHORTCUTS = {"submitted_at": [MOMENT] * 2, "choice_codes": [b"\x00\xff\n", None]}


@pytest.mark.parametrize("changed", [{}, SHORTCUTS], ids=["varied", "shortcuts"])
def test_bulk_rows_read_back_as_core_rows(wave, changed):
    by_driver = columns_of(wave, 2) | changed
    by_core = columns_of(wave, 2) | changed
    ids = bulk.insert_responses(by_driver)
    rows = [
        dict(zip(by_core, values, strict=True))
        for values in zip(*by_core.values(), strict=True)
    ]
    db.session.execute(Response.__table__.insert(), rows)
    db.session.commit()
    for k in range(2):
        assert stored(by_driver["uuid"][k]) == stored(by_core["uuid"][k])
    # the defaults a Core insert fills in are filled in too
    first = db.session.get(Response, ids[0])
    assert first.received_at is not None
    assert first.import_batch_id is None
    if changed:
        assert first.choice_codes == b"\x00\xff\n"
        assert first.submitted_at.replace(tzinfo=None) == MOMENT.replace(tzinfo=None)


def test_the_tables_constraints_still_hold_for_bulk_rows(wave):
    # SQLite goes through a staging table: the table's checks must apply on the
    # way in (values as the driver gets them: the enum's own processing, which
    # refuses "fax" in Python first, is not what is tested here)
    columns = {
        "id": [1, 2],
        "uuid": [uuid.uuid4().hex, uuid.uuid4().hex],
        "wave_id": [wave.id] * 2,
        "unit_id": [unit_by_code("QN-HALONG-TT").id] * 2,
        "questionnaire_id": [wave.questionnaire_id] * 2,
        "channel": ["kiosk", "fax"],
        "language": ["vi"] * 2,
        "submitted_at": ["2026-03-02 01:30:15.000000"] * 2,
        "status": ["complete"] * 2,
    }
    # the driver's own error on PostgreSQL (COPY), SQLAlchemy's on SQLite
    with pytest.raises(Exception, match="ck_responses_channel"):
        bulk._insert(Response.__table__, columns)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_ids_come_after_the_stored_ones_and_the_database_goes_on_after_them(wave):
    before = make_response().response.id
    ids = bulk.insert_responses(columns_of(wave, 2))
    bulk.insert_answers([(ids[0], '{"A1":"5"}', None), (ids[1], '{"A1":"4"}', None)])
    db.session.commit()
    assert before < ids[0] < ids[1]
    # the next response stored one by one gets a fresh id (PostgreSQL: the
    # sequence gave ours, so it is not behind them)
    after = make_response().response.id
    assert after > ids[1]
    answers = db.session.scalars(
        sa.select(Answer.value).where(Answer.response_id.in_(ids))
    )
    assert sorted(answers) == ["4", "5"]


def test_columns_of_chosen_rows_are_set_in_one_statement(wave):
    ids = bulk.insert_responses(columns_of(wave, 2))
    other = make_response().response.id
    changed = {"id": [ids[1], ids[0]], "paper_serial": ["S-1", "Đơn-0"]}
    changed["status"] = [ResponseStatus.void, ResponseStatus.complete]
    with counting_statements() as sent:
        bulk.update_columns(Response.__table__, "id", changed)
    assert sum(statement.startswith("UPDATE") for statement in sent) == 1
    db.session.commit()
    rows = db.session.execute(
        sa.select(Response.id, Response.paper_serial, Response.status).where(
            Response.id.in_([*ids, other])
        )
    )
    found = {row.id: (row.paper_serial, row.status) for row in rows}
    assert found[ids[0]] == ("Đơn-0", ResponseStatus.complete)
    assert found[ids[1]] == ("S-1", ResponseStatus.void)
    assert found[other] == (None, ResponseStatus.complete)  # not named: unchanged


#: Answers of every shape, and texts that a careless spreading would change.
TRICKY_ANSWERS = (
    {
        "A1": "5",
        "Q5": ("1", "3", "10"),
        "Q6": (),
        "C1": 'Cán bộ "tận tình",\nthủ tục\\nhanh 👍',
        "C2": "03",
        "C3": '["x"]',
        "C4": '{"a": 1}',
        "C5": "  ",
    },
    {},
    {"A1": "9", "Q5": ("2",)},
)


def test_answers_are_stored_exactly_as_given(wave):
    ids = bulk.insert_responses(columns_of(wave, 2))
    ids += bulk.insert_responses(columns_of(wave, 1))
    objects = bulk.answer_objects(TRICKY_ANSWERS, ["Q5", "Q6"])
    bulk.insert_answers((k, *packed) for k, packed in zip(ids, objects, strict=True))
    db.session.commit()
    stored_rows = db.session.execute(
        sa.select(Answer.response_id, Answer.item_code, Answer.value)
    ).all()
    expected = {
        (response_id, code, value)
        for response_id, given in zip(ids, TRICKY_ANSWERS, strict=True)
        for code, answer in given.items()
        for value in ((answer,) if isinstance(answer, str) else answer)
    }
    assert sorted(stored_rows) == sorted(expected)
    assert len(stored_rows) == 11


def varied_rows(questionnaire, count: int, seed: int = 1) -> list[dict[str, str]]:
    """Valid rows whose criteria take every score."""
    rng = random.Random(seed)  # noqa: S311  (reproducible test data)
    criteria = [item.code for item in questionnaire.criteria]
    base = make_row(questionnaire)
    return [
        {
            **base,
            "response_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            **{code: rng.choice("12345") for code in criteria},
        }
        for _ in range(count)
    ]


@contextmanager
def counting_statements():
    """Count the statements sent to the database (an executemany is one)."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_an_import_sends_as_many_statements_for_many_rows_as_for_few(
    wave, questionnaire
):
    make_response()  # both imports into a database that holds responses
    counts = []
    for size in (300, 4500):  # both in one chunk (bulk.SQLITE_CHUNK)
        data = csv_file(varied_rows(questionnaire, size, seed=size))
        with counting_statements() as sent:
            report = run(wave, data)
        assert report.imported == size, english(report)[:3]
        counts.append(len(sent))
    db.session.commit()
    assert counts[0] == counts[1]
    assert stored_count(wave) == 4801


def test_an_import_in_many_chunks_keeps_each_row_with_its_response(
    wave, questionnaire, monkeypatch
):
    # chunks of 7 rows: the next chunk is made while one is stored
    monkeypatch.setattr(bulk, "chunk_rows", lambda count: 7)
    rows = varied_rows(questionnaire, 30, seed=3)
    criteria = [item.code for item in questionnaire.criteria]
    flat = {rows[k]["response_id"] for k in (6, 7, 29)}  # in chunks 1, 2 and 5
    for row in rows:
        if row["response_id"] in flat:
            row.update({code: "5" for code in criteria})
    report = run(wave, csv_file(rows))
    db.session.commit()
    assert report.imported == 30
    stored_answers: dict[str, dict[str, str]] = {}
    query = sa.select(Response.uuid, Answer.item_code, Answer.value).join(Answer)
    for response_uuid, code, value in db.session.execute(query):
        stored_answers.setdefault(str(response_uuid), {})[code] = value
    assert set(stored_answers) == {row["response_id"] for row in rows}
    for row in rows:
        answers = stored_answers[row["response_id"]]
        assert {code: answers[code] for code in criteria} == {
            code: row[code] for code in criteria
        }
    # each row's quality verdict went with it: straight-lined ones are signalled
    signals = db.session.execute(sa.select(Response.uuid, Response.quality_signals))
    assert {str(key) for key, mask in signals if mask} == flat


def test_an_error_making_a_later_chunk_stores_nothing(wave, questionnaire, monkeypatch):
    monkeypatch.setattr(bulk, "chunk_rows", lambda count: 7)
    data = csv_file(varied_rows(questionnaire, 30, seed=4))
    made = imports._Judge.columns
    calls: list[int] = []

    def failing(self, rows, packed_now=True):
        calls.append(len(rows))
        if len(calls) == 3:  # made in the thread while chunk 2 is stored
            raise RuntimeError("no memory left")
        return made(self, rows, packed_now)

    monkeypatch.setattr(imports._Judge, "columns", failing)
    with pytest.raises(RuntimeError, match="no memory left"):
        run(wave, data)
    db.session.rollback()
    assert stored_count(wave) == 0
    monkeypatch.setattr(imports._Judge, "columns", made)
    assert run(wave, data).imported == 30
    db.session.commit()
    assert stored_count(wave) == 30


def test_a_problem_in_row_99999_stores_nothing(wave, questionnaire):
    rows = varied_rows(questionnaire, 99_998)
    rows[-1]["A3"] = "6"  # row 1 is the header: the last row is row 99,999
    report = run(wave, csv_file(rows))
    assert not report.ok
    assert (report.imported, report.valid, report.bad_rows) == (0, 99_997, 1)
    assert english(report) == [
        (99_999, "A3", "A scale answer is 1 to 5, 9 (not applicable) or empty.")
    ]
    db.session.commit()
    assert stored_count(wave) == 0


def test_a_large_file_imported_twice_is_stored_once(wave, questionnaire):
    data = csv_file(varied_rows(questionnaire, 3000))
    first = run(wave, data)
    db.session.commit()
    answers = db.session.scalar(sa.select(sa.func.count()).select_from(Answer))
    again = run(wave, data)
    db.session.commit()
    assert (first.imported, again.imported, again.already) == (3000, 0, 3000)
    assert stored_count(wave) == 3000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == answers
    # every row's answers are stored: the criteria, and the rest of the form
    assert answers >= 3000 * len(questionnaire.criteria)


def test_a_failure_while_storing_leaves_nothing(wave, questionnaire, monkeypatch):
    def broken(rows, meanwhile=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "insert_answers", broken)
    with pytest.raises(RuntimeError):
        run(wave, csv_file(varied_rows(questionnaire, 500)))
    db.session.rollback()
    assert stored_count(wave) == 0


def secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of responses and answers that are
    not a key's or a constraint's, as SQLite holds them."""
    query = sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name IN ('responses', 'answers') AND sql IS NOT NULL ORDER BY name"
    )
    return [(name, statement) for name, statement in db.session.execute(query)]


def dropped_indexes(sent: list[str]) -> list[str]:
    return [statement for statement in sent if statement.startswith("DROP INDEX")]


@pytest.mark.sqlite_only
def test_a_first_import_makes_the_indexes_again_exactly_as_they_were(
    wave, questionnaire
):
    before = secondary_indexes()
    assert "ix_answers_item_response" in dict(before)
    assert "WHERE quality_signals != 0" in dict(before)["ix_responses_signalled"]
    threads = db.session.execute(sa.text("PRAGMA threads")).scalar()
    data = csv_file(varied_rows(questionnaire, 300, seed=5))
    with counting_statements() as sent:
        assert run(wave, data).imported == 300
    # the write went without them: into an empty database they are made once
    assert len(dropped_indexes(sent)) == len(before)
    assert secondary_indexes() == before
    assert db.session.execute(sa.text("PRAGMA threads")).scalar() == threads
    db.session.commit()
    assert secondary_indexes() == before
    # and they serve the queries again: the option counts read the index alone
    plan = db.session.execute(
        sa.text(
            "EXPLAIN QUERY PLAN SELECT value, count(*) FROM answers "
            "WHERE item_code = 'A1' GROUP BY value"
        )
    ).all()
    assert "ix_answers_item_response" in " ".join(row[-1] for row in plan)


def test_an_import_beside_many_stored_responses_grows_the_indexes(wave, questionnaire):
    # 200 stored, 300 more: more than a third of them, so the indexes stay
    stored = {name: values * 200 for name, values in columns_of(wave, 1).items()}
    bulk.insert_responses(stored | {"uuid": [uuid.uuid4() for _ in range(200)]})
    db.session.commit()
    data = csv_file(varied_rows(questionnaire, 300, seed=6))
    with counting_statements() as sent:
        assert run(wave, data).imported == 300
    assert dropped_indexes(sent) == []


def test_a_first_import_that_fails_leaves_every_index(wave, questionnaire, monkeypatch):
    before = secondary_indexes() if db.engine.dialect.name == "sqlite" else None

    def broken(rows, meanwhile=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "insert_answers", broken)
    with counting_statements() as sent, pytest.raises(RuntimeError):
        run(wave, csv_file(varied_rows(questionnaire, 300, seed=7)))
    db.session.rollback()
    assert stored_count(wave) == 0
    if before is not None:
        assert dropped_indexes(sent)  # they were dropped for the write
        assert secondary_indexes() == before


def test_an_import_checks_and_stores_with_the_cycle_collector_paused(
    wave, questionnaire, monkeypatch
):
    # millions of rows' objects alive at once: the collector's passes would look
    # at each of them again and again, and free nothing
    seen: dict[str, bool] = {}
    checking, storing = imports.plan_rows, bulk.insert_responses

    def plan_rows(*args, **kwargs):
        seen["check"] = gc.isenabled()
        return checking(*args, **kwargs)

    def insert_responses(*args, **kwargs):
        seen["store"] = gc.isenabled()
        return storing(*args, **kwargs)

    monkeypatch.setattr(imports, "plan_rows", plan_rows)
    monkeypatch.setattr(bulk, "insert_responses", insert_responses)
    report = run(wave, csv_file(varied_rows(questionnaire, 5, seed=4)))
    assert report.imported == 5
    assert seen == {"check": False, "store": False}
    assert gc.isenabled()


def test_a_first_import_looks_up_no_id_and_a_later_one_does(wave, questionnaire):
    # a database without responses has none of the file's ids: nothing to ask;
    # a later import asks when it checks, and again in the transaction that stores
    # (another import may have stored some since)
    def lookups(sent: list[str]) -> int:
        asked = "SELECT responses.uuid AS uuid, responses.wave_id"
        return sum(statement.startswith(asked) for statement in sent)

    found = []
    for seed in (1, 2):
        with counting_statements() as sent:
            report = run(wave, csv_file(varied_rows(questionnaire, 20, seed=seed)))
        assert report.imported == 20
        found.append(lookups(sent))
    assert found == [0, 2]
