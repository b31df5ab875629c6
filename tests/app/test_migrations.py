"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from sipas.database import init_migrations
from sipas.extensions import db
from tests.conftest import ROOT, database_url, make_app


def app_with_migrations(path):
    """An app whose Flask-Migrate is set up (the CLI does it when `flask db` runs)."""
    app = make_app(path)
    init_migrations(app)
    return app


def test_upgrade_matches_models_and_downgrade_empties(tmp_path):
    app = app_with_migrations(tmp_path / "migrated.db")
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.session.remove()  # give its connection back before closing them all
        db.engine.dispose()


@pytest.mark.sqlite_only
def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(app):
    with db.engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert (
            pragma("PRAGMA busy_timeout").scalar()
            == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        )


def _old_wave(run, definition) -> None:
    """Questionnaire version 1 with ``definition``, unit 1 and open wave 1, as rows
    of an older revision."""
    import json

    import sqlalchemy as sa

    run(
        sa.text(
            "INSERT INTO questionnaire_versions (id, code, version, revision, "
            "sha256, definition, source, created_at) "
            "VALUES (1, 'q', 1, 1, 'x', :d, 's', '2026-01-01')"
        ),
        {"d": json.dumps(definition)},
    )
    run(
        sa.text(
            "INSERT INTO units (id, code, name, level, created_at) "
            "VALUES (1, 'U', 'U', 'centre', '2026-01-01')"
        )
    )
    run(
        sa.text(
            "INSERT INTO waves (id, code, title, questionnaire_id, status, "
            "weighting, created_at) VALUES (1, 'w', 'w', 1, 'open', 'none', "
            "'2026-01-01')"
        )
    )


def test_criteria_masks_are_backfilled_from_answers(tmp_path):
    """Responses stored before the masks existed get them from their answers."""

    import sqlalchemy as sa

    definition = {
        "sections": [
            {
                "items": [
                    {"code": "A1", "type": "scale", "factor": "A"},
                    {"code": "sex", "type": "single_choice"},
                    {"code": "A2", "type": "scale", "factor": "A"},
                    {"code": "overall", "type": "scale"},
                ]
            }
        ]
    }
    answers = "(1, 'A1', '5'), (1, 'A2', '2'), (1, 'overall', '4'), (1, 'sex', '4')"
    with _one_response_at(
        tmp_path / "old.db", "5e37da175848", answers, definition
    ) as run:
        upgrade()
        masks = run(
            sa.text("SELECT criteria_answered, criteria_satisfied FROM responses")
        ).one()
        assert tuple(masks) == (0b11, 0b01)  # A1 and A2 answered; only A1 satisfied


def test_choices_are_packed_from_the_answers_of_earlier_responses(tmp_path):
    """Responses stored before packed choices get them from their answer rows, as
    the app packs them; an answer outside its options, or a definition the app
    cannot read, leaves none (their waves are read from the rows)."""
    import sqlalchemy as sa
    import yaml

    from sipas.questionnaire import parse_definition
    from sipas.questionnaire.choices import choice_layout, pack_choices

    text = (ROOT / "questionnaires" / "sipas-2017.yaml").read_text(encoding="utf-8")
    definition = yaml.safe_load(text)
    with _wave_at(tmp_path / "old.db", "jobs3results", definition) as run:
        run(
            sa.text(
                "INSERT INTO questionnaire_versions (id, code, version, revision, "
                "sha256, definition, source, created_at) "
                "VALUES (2, 'old', 1, 1, 'y', '{\"sections\": []}', 's', "
                "'2026-01-01')"
            )
        )
        given = {
            1: {"trips": "3", "expectations": ("facilities", "information"), "A1": "4"},
            2: {"trips": "9", "sex": "female"},  # 9 is no option of trips
            3: {"sex": "female"},  # on the definition that cannot be read
        }
        for response_id, answers in given.items():
            _insert_response(run, response_id, "web", "complete", None, 60, {})
            for item, values in answers.items():
                for value in (values,) if isinstance(values, str) else values:
                    run(
                        sa.text("INSERT INTO answers VALUES (:r, :i, :v)"),
                        {"r": response_id, "i": item, "v": value},
                    )
        run(sa.text("UPDATE responses SET questionnaire_id = 2 WHERE id = 3"))
        db.session.commit()
        upgrade()
        packed = dict(run(sa.text("SELECT id, choice_codes FROM responses")).all())
        layout = choice_layout(parse_definition(definition))
        expected = {
            "trips": "3",
            "expectations": ("information", "facilities"),
            "A1": "4",  # a scale: packed too
        }
        assert packed[1] == pack_choices(layout, expected)
        assert packed[1] is not None
        assert packed[2] is None
        assert packed[3] is None


def test_flask_db_works_though_the_app_starts_without_alembic(tmp_path):
    """`flask db` sets Alembic up when it runs (tests/app/test_startup.py: other
    commands and workers start without importing it)."""
    env = {"SIPAS_DATABASE_URL": database_url(tmp_path / "cli.db"), "PATH": ""}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "db"]
    subprocess.run(
        [*flask, "upgrade"], capture_output=True, check=True, env=env, cwd=ROOT
    )
    current = subprocess.run(
        [*flask, "-d", "migrations", "current"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    assert "(head)" in current.stdout


def _insert_response(run, response_id, channel, status, reason, seconds, answers):
    """A response row of the previous revision, with its answer rows."""
    import sqlalchemy as sa

    run(
        sa.text(
            "INSERT INTO responses (id, uuid, wave_id, unit_id, questionnaire_id, "
            "channel, language, device_code, started_at, submitted_at, "
            "duration_seconds, status, status_reason) VALUES (:id, :uuid, 1, 1, 1, "
            ":channel, 'vi', :device, NULL, :submitted, :seconds, :status, :reason)"
        ),
        {
            "id": response_id,
            "uuid": f"{response_id:032x}",
            "channel": channel,
            "device": "kiosk-1" if channel == "kiosk" else None,
            # 12 to 15 are 15 s apart, the others far from each other
            "submitted": f"2026-01-01 10:{response_id:02d}:00.000000"
            if response_id < 12
            else f"2026-01-01 11:00:{15 * (response_id % 4):02d}.000000",
            "seconds": seconds,
            "status": status,
            "reason": reason,
        },
    )
    for item, value in answers.items():
        run(
            sa.text("INSERT INTO answers VALUES (:r, :i, :v)"),
            {"r": response_id, "i": item, "v": value},
        )


def test_stored_responses_are_judged_again_by_the_new_quality_decision(tmp_path):
    """The quality migration records each response's signals and applies the new
    decision to the statuses the old rules set, in a few statements."""

    import sqlalchemy as sa

    criteria = [f"C{k}" for k in range(12)]
    others = [f"Q{k}" for k in range(23)]
    definition = {
        "sections": [
            {
                "items": [{"code": c, "type": "scale", "factor": "C"} for c in criteria]
                + [{"code": q, "type": "single_choice"} for q in others]
            }
        ]
    }
    fours = {c: "4" for c in criteria}
    varied = {c: str(2 + k % 4) for k, c in enumerate(criteria)}
    rest = {q: "1" for q in others}
    app = app_with_migrations(tmp_path / "old.db")
    with app.app_context():
        upgrade(revision="security1a2b3c4d")
        run = db.session.execute
        _old_wave(run, definition)
        rows = {
            # id: (channel, status, reason, seconds, answers)
            1: ("web", "flagged", "straight_lining", 300, {**fours, **rest}),
            2: ("paper", "flagged", "straight_lining", None, fours),
            3: ("web", "flagged", "too_fast", 54, {**varied, **rest}),
            5: ("web", "flagged", "too_fast", 25, {**fours, **rest}),
            6: ("web", "complete", "Đã kiểm tra", 10, {**fours, **rest}),
            7: ("kiosk", "flagged", "invalid:C1:required", 300, varied),
            8: ("web", "flagged", "too_fast", 10, {**varied, **rest}),
            9: ("web", "complete", None, 25, {**fours, **rest}),
        }
        # four kiosk responses 15 s apart: the fourth was flagged device_rate
        for kiosk_id in (12, 13, 14, 15):
            reason = "device_rate" if kiosk_id == 15 else None
            status = "flagged" if reason else "complete"
            rows[kiosk_id] = ("kiosk", status, reason, 300, {**varied, **rest})
        for response_id, row in rows.items():
            _insert_response(run, response_id, *row)
        db.session.commit()
        upgrade()
        found = {
            row.id: (row.status, row.status_reason, row.quality_signals)
            for row in run(
                sa.text(
                    "SELECT id, status, status_reason, quality_signals FROM responses"
                )
            )
        }
        assert found == {
            # satisfied straight-liners count again, their signal kept
            1: ("complete", None, 1),
            2: ("complete", None, 1),
            # 54 s for 35 answers is not too fast any more
            3: ("complete", None, 0),
            # quick and straight-lined: still excluded, both signals named
            5: ("flagged", "straight_lining,too_fast", 3),
            # an administrator's decision stands; its signals are recorded
            6: ("complete", "Đã kiểm tra", 11),
            7: ("flagged", "invalid:C1:required", 0),
            # 10 s for 35 answers: far too fast, excluded on its own
            8: ("flagged", "too_fast,far_too_fast", 10),
            # complete before, two signals now: excluded
            9: ("flagged", "straight_lining,too_fast", 3),
            12: ("complete", None, 0),
            13: ("complete", None, 0),
            14: ("complete", None, 0),
            # the fourth in a minute alone: counted, marked
            15: ("complete", None, 4),
        }
        db.session.rollback()  # PostgreSQL: the read's lock would block the DROP
        downgrade(revision="security1a2b3c4d")
        statuses = run(sa.text("SELECT status FROM responses ORDER BY id")).scalars()
        assert list(statuses)[:2] == ["complete", "complete"]
        db.session.remove()  # give its connection back before closing them all
        db.engine.dispose()


def test_erased_comments_are_masked_again_with_the_wider_detector(tmp_path):
    """Rounds whose originals were erased hold text masked by the old detector:
    the upgrade masks it again; the originals of other rounds stay as written."""
    import json

    import sqlalchemy as sa

    definition = {
        "sections": [
            {
                "items": [
                    {"code": "overall", "type": "scale"},
                    {"code": "comment", "type": "text"},
                ]
            }
        ]
    }
    # what the old detector left as it was
    hidden = "Gọi 0912–345–678 hoặc nguyenvana at gmail dot com"
    masked = "Gọi 09••–•••–•78 hoặc n••••••••• at gmail dot com"
    app = app_with_migrations(tmp_path / "old.db")
    with app.app_context():
        upgrade(revision="questionnaires1a2b")
        run = db.session.execute
        _old_wave(run, definition)
        run(
            sa.text(
                "INSERT INTO waves (id, code, title, questionnaire_id, status, "
                "weighting, created_at) VALUES (2, 'kept', 'kept', 1, 'closed', "
                "'none', '2026-01-01')"
            )
        )
        run(sa.text("UPDATE waves SET texts_erased_at = '2026-06-01' WHERE id = 1"))
        answers = {"overall": "4", "comment": hidden}
        _insert_response(run, 1, "web", "complete", None, 300, answers)
        _insert_response(run, 2, "web", "complete", None, 300, answers)
        run(sa.text("UPDATE responses SET wave_id = 2 WHERE id = 2"))
        run(
            sa.text(
                "INSERT INTO response_drafts (form_uuid, wave_id, unit_id, answers, "
                "language, started_at, updated_at) VALUES "
                "('00000000000040008000000000000001', 1, 1, :a, 'vi', '2026-01-01', "
                "'2026-01-01')"
            ),
            {"a": json.dumps({"comment": hidden, "overall": "4"})},
        )
        db.session.commit()
        upgrade()
        comments = dict(
            run(
                sa.text(
                    "SELECT response_id, value FROM answers WHERE item_code = 'comment'"
                )
            ).all()
        )
        assert comments == {1: masked, 2: hidden}
        draft = run(sa.text("SELECT answers FROM response_drafts")).scalar_one()
        draft = json.loads(draft) if isinstance(draft, str) else draft
        assert draft == {"comment": masked, "overall": "4"}
        db.session.rollback()
        downgrade(revision="questionnaires1a2b")
        db.session.remove()  # give its connection back before closing them all


@contextmanager
def _wave_at(path, revision: str, definition: dict):
    """Inside an app migrated to ``revision``, holding questionnaire version 1 of
    ``definition``, unit 1 and wave 1."""
    app = app_with_migrations(path)
    with app.app_context():
        upgrade(revision=revision)
        _old_wave(db.session.execute, definition)
        yield db.session.execute
        db.session.remove()  # give its connection back before closing them all
        db.engine.dispose()


#: A questionnaire of one item, as an older revision stored it.
ONE_ITEM = {"sections": [{"items": [{"code": "A1", "type": "scale"}]}]}


@contextmanager
def _one_response_at(path, revision: str, answers: str, definition=ONE_ITEM):
    """Inside an app migrated to ``revision``, holding a wave of ``definition`` and
    one web response (id 1) with ``answers`` (SQL values)."""
    import sqlalchemy as sa

    with _wave_at(path, revision, definition) as run:
        run(
            sa.text(
                "INSERT INTO responses (id, uuid, wave_id, unit_id, questionnaire_id, "
                "channel, language, submitted_at, status) VALUES (1, "
                "'0123456789abcdef0123456789abcdef', 1, 1, 1, 'web', 'vi', "
                "'2026-01-01', 'complete')"
            )
        )
        run(sa.text(f"INSERT INTO answers VALUES {answers}"))  # noqa: S608
        db.session.commit()
        yield run


def test_the_import_channel_keeps_every_answer_and_downgrades_to_paper(tmp_path):
    """SQLite rebuilds ``responses`` to add the channel ``import``: the answers
    (whose foreign key cascades) survive, and a downgrade keeps imported rows."""
    import sqlalchemy as sa

    one = "(1, 'A1', '5')"
    with _one_response_at(tmp_path / "channels.db", "questionnaires1a2b", one) as run:
        upgrade()
        assert run(sa.text("SELECT count(*) FROM answers")).scalar() == 1
        run(sa.text("UPDATE responses SET channel = 'import'"))
        db.session.commit()
        downgrade(revision="questionnaires1a2b")
        assert run(sa.text("SELECT channel FROM responses")).scalar() == "paper"
        assert run(sa.text("SELECT count(*) FROM answers")).scalar() == 1


@pytest.mark.sqlite_only
def test_sqlite_answers_are_clustered_on_their_key_and_keep_every_row(tmp_path):
    """The answers table is rebuilt WITHOUT ROWID (each row written twice, not
    three times) with every answer; a downgrade gives the rowid table back."""
    import sqlalchemy as sa

    two = "(1, 'A1', '5'), (1, 'E2', '4')"
    with _one_response_at(tmp_path / "answers.db", "imports1a2b", two) as run:

        def shape() -> tuple[bool, list]:
            ddl = run(sa.text("SELECT sql FROM sqlite_master WHERE name = 'answers'"))
            clustered = "WITHOUT ROWID" in ddl.scalar()
            rows = run(sa.text("SELECT * FROM answers ORDER BY item_code")).all()
            db.session.commit()  # no read left open across the migration
            return clustered, [tuple(row) for row in rows]

        answers = [(1, "A1", "5"), (1, "E2", "4")]
        assert shape() == (False, answers)
        upgrade()
        assert shape() == (True, answers)
        # the item index and the cascade from responses are still there
        indexes = run(sa.text("PRAGMA index_list(answers)")).all()
        assert "ix_answers_item_response" in {row[1] for row in indexes}
        run(sa.text("DELETE FROM responses"))
        assert run(sa.text("SELECT count(*) FROM answers")).scalar() == 0
        db.session.rollback()
        downgrade(revision="imports1a2b")
        assert shape() == (False, answers)


def test_the_uuid_index_keeps_every_answer_and_every_uuid_unique(tmp_path):
    """SQLite rebuilds ``responses`` to drop its UNIQUE constraint: the answers
    (whose foreign key cascades) survive, and the index refuses a second row with
    the same UUID, as the constraint did, before and after a downgrade."""
    import sqlalchemy as sa

    two = "(1, 'A1', '5'), (1, 'E2', '4')"
    with _one_response_at(tmp_path / "uuids.db", "jobs4posters", two) as run:

        def refuses_the_same_uuid() -> bool:
            copy = (
                "INSERT INTO responses (id, uuid, wave_id, unit_id, questionnaire_id, "
                "channel, language, submitted_at, status) SELECT 2, uuid, wave_id, "
                "unit_id, questionnaire_id, channel, language, submitted_at, status "
                "FROM responses WHERE id = 1"
            )
            try:
                run(sa.text(copy))
            except sa.exc.IntegrityError:
                db.session.rollback()
                return True
            db.session.rollback()
            return False

        upgrade()
        assert run(sa.text("SELECT count(*) FROM answers")).scalar() == 2
        db.session.commit()
        assert refuses_the_same_uuid()
        downgrade(revision="jobs4posters")
        assert run(sa.text("SELECT count(*) FROM answers")).scalar() == 2
        db.session.commit()
        assert refuses_the_same_uuid()
