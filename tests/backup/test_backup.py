"""`flask sipas backup` and `flask sipas restore` on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import stamp
from sqlalchemy.engine import make_url

from sipas.database import init_migrations
from sipas.extensions import db
from sipas.models import AuditEvent, Response
from sipas.services import backup, demo, questionnaires, synthetic
from sipas.services.backup import common, sqlite
from sipas.services.results import dashboard, exports
from sipas.services.waves.lookup import wave_by_code
from tests.conftest import QUESTIONNAIRE_DIR, make_app
from tests.factories import make_response

OLDER_REVISION = "accounts1a2b3c"


def table_contents() -> dict[str, list[str]]:
    """Every row of every table, as sorted text (the same data gives the same)."""
    contents = {}
    for table in sorted(sa.inspect(db.engine).get_table_names()):
        rows = db.session.execute(sa.text(f'SELECT * FROM "{table}"')).all()  # noqa: S608
        contents[table] = sorted(repr(tuple(row)) for row in rows)
    db.session.rollback()
    return contents


def results_json() -> str:
    wave = wave_by_code("demo")
    return exports.results_json(dashboard.compute_results(wave, None))


def load_demo() -> None:
    questionnaires.sync(questionnaires.questionnaire_files(QUESTIONNAIRE_DIR))
    demo.ensure_demo("admin-test-password")
    db.session.commit()


def fill_demo(app, count: int = 60) -> None:
    """Stamp the schema at the head revision (as `flask db upgrade` would leave it)
    and add responses to the demo wave."""
    init_migrations(app)
    stamp()
    synthetic.add_demo_responses(wave_by_code("demo"), count, seed=3)
    make_response()
    db.session.commit()


def change_everything() -> None:
    """What a restore must undo: new responses, deleted ones, a renamed unit."""
    make_response()
    db.session.execute(sa.text("DELETE FROM answers WHERE response_id < 20"))
    db.session.execute(sa.text("DELETE FROM responses WHERE id < 20"))
    db.session.execute(sa.text("UPDATE units SET name = 'Đổi tên' WHERE id = 2"))
    db.session.commit()


def without_audit(contents: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: rows for name, rows in contents.items() if name != "audit_events"}


def actions() -> list[str]:
    return list(
        db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id))
    )


def response_count() -> int:
    db.session.rollback()  # a fresh look, not the session's snapshot
    return db.session.scalar(sa.select(sa.func.count()).select_from(Response))


def files_beside_the_database(folder: Path) -> list[str]:
    """Names in ``folder`` other than the live database's (no temporary left)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("sipas.db"))


@pytest.fixture
def sqlite_app(tmp_path):
    """The demo data in SQLite, whichever database the rest of the suite runs on."""
    path = tmp_path / "sipas.db"
    app = make_app(path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        load_demo()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def filled(sqlite_app):
    fill_demo(sqlite_app)
    return sqlite_app


@pytest.fixture
def runner(sqlite_app):
    return sqlite_app.test_cli_runner()


def test_sqlite_round_trip_restores_identical_content(filled, runner, tmp_path):
    before, results = table_contents(), results_json()
    target = tmp_path / "sipas.sqlite"
    made = runner.invoke(args=["sipas", "backup", "-o", str(target)])
    assert made.exit_code == 0, made.output
    progress_bar, summary = made.output.strip().splitlines()
    assert "SQLite" in progress_bar
    revision = next(iter(common.migration_revisions()[1]))
    assert revision in summary
    assert ", 61 " in summary  # responses in the backup
    assert actions()[-1] == "backup.create"
    change_everything()
    assert without_audit(table_contents()) != without_audit(before)

    restored = runner.invoke(args=["sipas", "restore", str(target), "--yes"])

    assert restored.exit_code == 0, restored.output
    after = table_contents()
    assert without_audit(after) == without_audit(before)
    assert results_json() == results
    # the log is the backup's, plus the restore recorded in the restored database
    assert len(after["audit_events"]) == len(before["audit_events"]) + 1
    assert actions()[-1] == "backup.restore"
    assert "flask db upgrade" not in restored.output


def test_sqlite_backup_is_one_checked_file_private_to_its_owner(
    filled, runner, tmp_path
):
    target = tmp_path / "b.sqlite"
    assert runner.invoke(args=["sipas", "backup", "-o", str(target)]).exit_code == 0
    assert target.read_bytes()[:16] == common.SQLITE_MAGIC
    assert target.stat().st_mode & 0o077 == 0
    assert files_beside_the_database(tmp_path) == ["b.sqlite"]
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_is_the_database_as_it_was_while_others_keep_writing(
    filled, tmp_path, monkeypatch
):
    """Another connection writes between the copy's steps without waiting; the copy
    is the database as it was when the backup began."""
    monkeypatch.setattr(sqlite, "PAGES_PER_STEP", 5)
    stored = response_count()
    writer = sqlite3.connect(sqlite.database_file(), timeout=0.2, isolation_level=None)
    steps = []

    def write_meanwhile(copied: int, total: int) -> None:
        steps.append(copied)
        writer.execute("DELETE FROM answers WHERE response_id = ?", (len(steps),))
        writer.execute("DELETE FROM responses WHERE id = ?", (len(steps),))

    info = backup.create_backup(tmp_path / "b.sqlite", progress=write_meanwhile)
    writer.close()

    assert len(steps) > 10
    assert steps == sorted(steps)  # the copy never started again
    assert response_count() == stored - len(steps)
    assert info.responses == stored
    assert backup.inspect_backup(info.path).responses == stored


def test_restore_asks_first(filled, runner, tmp_path):
    target = tmp_path / "b.sqlite"
    runner.invoke(args=["sipas", "backup", "-o", str(target)])
    change_everything()
    changed = without_audit(table_contents())

    refused = runner.invoke(args=["sipas", "restore", str(target)], input="n\n")

    assert refused.exit_code == 1
    assert "Đã dừng: chưa thay đổi gì." in refused.output  # not Click's "Aborted!"
    assert without_audit(table_contents()) == changed
    accepted = runner.invoke(args=["sipas", "restore", str(target)], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert without_audit(table_contents()) != changed


def test_an_existing_file_is_replaced_only_with_force(filled, runner, tmp_path):
    target = tmp_path / "b.sqlite"
    target.write_bytes(b"yesterday")

    refused = runner.invoke(args=["sipas", "backup", "-o", str(target)])

    assert refused.exit_code == 1
    assert "--force" in refused.output
    assert target.read_bytes() == b"yesterday"
    forced = runner.invoke(args=["sipas", "backup", "-o", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes()[:16] == common.SQLITE_MAGIC
    assert files_beside_the_database(tmp_path) == ["b.sqlite"]


def refused_restore(runner, path: Path) -> str:
    """Restore ``path``; assert it is refused and nothing changed; the message."""
    before = table_contents()
    result = runner.invoke(args=["sipas", "restore", str(path), "--yes"])
    assert result.exit_code == 1, result.output
    assert table_contents() == before
    return result.output


def test_garbage_and_foreign_databases_are_not_backups(filled, runner, tmp_path):
    garbage = tmp_path / "notes.txt"
    garbage.write_text("không phải bản sao lưu")
    assert str(garbage) in refused_restore(runner, garbage)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE things (x)")
    assert str(other) in refused_restore(runner, other)
    truncated = tmp_path / "cut.sqlite"
    runner.invoke(args=["sipas", "backup", "-o", str(truncated)])
    truncated.write_bytes(truncated.read_bytes()[:5000])
    assert str(truncated) in refused_restore(runner, truncated)


def set_revision(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_a_backup_from_newer_code_is_refused(filled, runner, tmp_path):
    target = tmp_path / "b.sqlite"
    runner.invoke(args=["sipas", "backup", "-o", str(target)])
    set_revision(target, "zz9future")
    message = refused_restore(runner, target)
    assert "zz9future" in message
    assert "SIPAS" in message


def test_a_backup_from_older_code_is_restored_then_needs_an_upgrade(
    filled, runner, tmp_path
):
    target = tmp_path / "b.sqlite"
    runner.invoke(args=["sipas", "backup", "-o", str(target)])
    set_revision(target, OLDER_REVISION)

    result = runner.invoke(args=["sipas", "restore", str(target), "--yes"])

    assert result.exit_code == 0, result.output
    assert "flask db upgrade" in result.output
    assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == (
        OLDER_REVISION
    )
    assert actions()[-1] == "backup.restore"


def test_a_database_never_set_up_by_migrations_is_not_restored(runner, tmp_path):
    target = tmp_path / "b.sqlite"
    made = runner.invoke(args=["sipas", "backup", "-o", str(target)])
    assert made.exit_code == 0, made.output  # a backup can always be made
    assert "alembic_version" in refused_restore(runner, target)


# --- PostgreSQL -------------------------------------------------------------------


def test_the_password_goes_to_pg_dump_in_the_environment_only():
    from sipas.services.backup.postgresql import libpq_target

    url = make_url(
        "postgresql+psycopg://sipas:s3cr%40t@db.local:5433/survey?sslmode=require"
    )

    uri, environment = libpq_target(url)

    assert uri == "postgresql://sipas@db.local:5433/survey?sslmode=require"
    assert environment["PGPASSWORD"] == "s3cr@t"


def test_a_database_error_without_a_driver_error_is_a_backup_error(
    app, monkeypatch, tmp_path
):
    """A pool timeout is an SQLAlchemyError with no .orig (the driver's error)."""
    from sipas.services.backup import postgresql

    def pool_timeout(output, *, force):
        raise sa.exc.TimeoutError("QueuePool limit of size 5 reached")

    monkeypatch.setattr(postgresql, "_backup", pool_timeout)
    with app.test_request_context(), pytest.raises(common.BackupError, match="Pool"):
        postgresql.backup(tmp_path / "sipas.dump", force=False)


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory):
    """An app on a throwaway PostgreSQL cluster, schema by `flask db upgrade`,
    with the demo data and some responses."""
    from flask_migrate import upgrade

    from tests.pg_cluster import throwaway_cluster

    folder = tmp_path_factory.mktemp("pg")
    with throwaway_cluster() as url:
        app = make_app(folder / "unused.db", SQLALCHEMY_DATABASE_URI=url)
        init_migrations(app)
        with app.app_context():
            upgrade()
            load_demo()
            synthetic.add_demo_responses(wave_by_code("demo"), 40, seed=5)
            db.session.commit()
            yield app
            db.session.remove()
            db.engine.dispose()


@pytest.mark.makes_own_database("postgresql")
def test_postgresql_round_trip_restores_identical_content(pg_app, tmp_path):
    runner = pg_app.test_cli_runner()
    before, results = table_contents(), results_json()
    target = tmp_path / "sipas.dump"

    made = runner.invoke(args=["sipas", "backup", "-o", str(target)])

    assert made.exit_code == 0, made.output
    assert target.read_bytes()[:5] == common.POSTGRES_MAGIC
    assert ", 40 " in made.output
    change_everything()
    # a table a later migration would have made, pointing at a table the restore
    # replaces: the restore drops it
    db.session.execute(
        sa.text("CREATE TABLE later_feature (id integer REFERENCES responses (id))")
    )
    db.session.commit()

    restored = runner.invoke(args=["sipas", "restore", str(target), "--yes"])

    assert restored.exit_code == 0, restored.output
    assert "later_feature" in restored.output
    after = table_contents()
    assert without_audit(after) == without_audit(before)
    assert results_json() == results
    # the backup.create event came after the dump: the restored log has the restore
    assert len(after["audit_events"]) == len(before["audit_events"]) + 1
    assert actions()[-1] == "backup.restore"


@pytest.mark.makes_own_database("postgresql")
@pytest.mark.parametrize("newer_table", [False, True])
def test_a_failed_postgresql_restore_leaves_the_data_as_it_was(
    pg_app, tmp_path, newer_table
):
    """Through pg_restore alone, or through psql when newer tables are dropped."""
    runner = pg_app.test_cli_runner()
    target = tmp_path / "b.dump"
    assert runner.invoke(args=["sipas", "backup", "-o", str(target)]).exit_code == 0
    change_everything()
    if newer_table:
        db.session.execute(sa.text("CREATE TABLE later_feature (id integer)"))
    # something the restore cannot drop: a view on a table it replaces
    db.session.execute(sa.text("CREATE VIEW unit_names AS SELECT name FROM units"))
    db.session.commit()

    message = refused_restore(runner, target)

    assert "unit_names" in message
    db.session.execute(sa.text("DROP VIEW unit_names"))
    db.session.execute(sa.text("DROP TABLE IF EXISTS later_feature"))
    db.session.commit()


def test_postgresql_refuses_a_sqlite_backup_and_sqlite_a_postgresql_one(
    pg_app, filled, tmp_path
):
    sqlite_backup, pg_backup = tmp_path / "b.sqlite", tmp_path / "b.dump"
    sqlite_runner = filled.test_cli_runner()
    made = sqlite_runner.invoke(args=["sipas", "backup", "-o", str(sqlite_backup)])
    assert made.exit_code == 0, made.output
    with pg_app.app_context():
        pg_runner = pg_app.test_cli_runner()
        made = pg_runner.invoke(args=["sipas", "backup", "-o", str(pg_backup)])
        assert made.exit_code == 0, made.output
        message = refused_restore(pg_runner, sqlite_backup)
        assert "SQLite" in message
        assert "PostgreSQL" in message
    message = refused_restore(sqlite_runner, pg_backup)
    assert "PostgreSQL" in message


def test_an_open_connection_sees_the_old_data_or_the_new(filled, tmp_path):
    """The app keeps serving during a SQLite restore: a reader in the middle of a
    transaction goes on seeing the old data; its next transaction sees the backup's."""
    info = backup.create_backup(tmp_path / "b.sqlite")
    change_everything()
    reader = sqlite3.connect(sqlite.database_file(), isolation_level=None)
    count = "SELECT count(*) FROM responses"
    reader.execute("BEGIN")
    changed = reader.execute(count).fetchone()[0]

    backup.restore_backup(backup.inspect_backup(info.path))

    assert reader.execute(count).fetchone()[0] == changed
    reader.execute("COMMIT")
    assert reader.execute(count).fetchone()[0] == info.responses != changed
    reader.close()
    with sqlite.database_file().open("rb") as live:
        assert live.read(20)[18:20] == b"\x02\x02"  # still in WAL mode
