"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import subprocess
import sys

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


def test_criteria_masks_are_backfilled_from_answers(tmp_path):
    """Responses stored before the masks existed get them from their answers."""
    import json

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
    app = app_with_migrations(tmp_path / "old.db")
    with app.app_context():
        upgrade(revision="5e37da175848")
        run = db.session.execute
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
        run(
            sa.text(
                "INSERT INTO responses (id, uuid, wave_id, unit_id, questionnaire_id, "
                "channel, language, submitted_at, status) VALUES (1, "
                "'0123456789abcdef0123456789abcdef', 1, 1, 1, 'web', 'vi', "
                "'2026-01-01', 'complete')"
            )
        )
        for item, value in (("A1", "5"), ("A2", "2"), ("overall", "4"), ("sex", "4")):
            run(
                sa.text("INSERT INTO answers VALUES (1, :i, :v)"),
                {"i": item, "v": value},
            )
        db.session.commit()
        upgrade()
        masks = run(
            sa.text("SELECT criteria_answered, criteria_satisfied FROM responses")
        ).one()
        assert tuple(masks) == (0b11, 0b01)  # A1 and A2 answered; only A1 satisfied
        db.session.remove()  # give its connection back before closing them all
        db.engine.dispose()


def test_flask_db_sets_up_alembic_only_when_it_runs(tmp_path):
    """Other commands and workers start without importing Alembic; `flask db` works."""
    env = {"SIPAS_DATABASE_URL": database_url(tmp_path / "cli.db"), "PATH": ""}
    probe = "import sys, wsgi; print('alembic' in sys.modules)"
    started = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    assert started.stdout.strip() == "False"
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
