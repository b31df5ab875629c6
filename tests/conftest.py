"""Fixtures: an app from the factory on a fresh database per test (a temporary SQLite
file, or with ``pytest --db postgresql`` a database on a throwaway cluster)."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner

from sipas import create_app
from sipas.extensions import db
from sipas.services import demo, questionnaires
from tests.app_cache import (
    routes_held_back,
    share_compiled_templates,
    share_route_builders,
    share_routes,
)
from tests.databases import TEST_CLUSTER_SETTINGS, databases

share_route_builders()

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRE_DIR = ROOT / "questionnaires"
#: Pages, PDFs and screenshots the tests leave for people to look at; `make test`
#: gives the PostgreSQL run, which runs at the same time, a folder of its own.
OUTPUT_ROOT = Path(os.environ.get("SIPAS_TEST_OUTPUT", ROOT / "test-output"))


#: `make test` runs the suite twice at once, once per database, on the two cores
#: (``--split-run``). Browser tests drive the same pages whatever the database, so
#: each runs in one of the two runs: these files in the PostgreSQL one, the others
#: in the SQLite one (kept about even in time). Tests that use no database (the
#: pure engine and questionnaire, the R oracle) run in the SQLite run only.
BROWSER_TESTS_ON_POSTGRESQL = frozenset(
    {
        "test_back_office.py",
        "test_downloads.py",
        "test_entry_keyboard.py",
        "test_national_form.py",
        "test_quality_review.py",
        "test_questionnaire_upload.py",
        "test_results_job.py",
    }
)
NO_DATABASE = ("tests/stats/", "tests/questionnaire/", "tests/reports/")
#: The parameter of tests that make their own database of each kind (the server
#: killed under load, tests/app/test_faults.py): each kind runs once, in its run
#: (as a test marked ``makes_own_database(kind)``).
OWN_DATABASE = "database_url"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database the tests run on (postgresql: a throwaway cluster on 127.0.0.1)",
    )
    parser.addoption(
        "--split-run",
        action="store_true",
        help="one of make test's two runs (one per database): leave the browser "
        "tests of the other run, and on PostgreSQL the tests without a database",
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Tests of SQLite's own settings do not apply to a PostgreSQL run; a split run
    leaves the other run's share."""
    on_postgresql = config.getoption("--db") == "postgresql"
    if config.getoption("--split-run"):
        kept = [item for item in items if _in_this_run(item, on_postgresql)]
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
    if not on_postgresql:
        return
    skip = pytest.mark.skip(reason="checks a SQLite setting")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


def _in_this_run(item: pytest.Item, on_postgresql: bool) -> bool:
    """Whether a split run on this database takes ``item``."""
    path = item.path.relative_to(ROOT).as_posix()
    if path.startswith("tests/e2e/"):
        return (item.path.name in BROWSER_TESTS_ON_POSTGRESQL) == on_postgresql
    own = _own_database(item)
    if own is not None:  # a test that makes its own database: in that kind's run
        return (own == "postgresql") == on_postgresql
    return not (on_postgresql and path.startswith(NO_DATABASE))


def _own_database(item: pytest.Item) -> str | None:
    """The kind of database a test makes for itself whatever ``--db``, if any."""
    marker = item.get_closest_marker("makes_own_database")
    if marker is not None:
        return str(marker.args[0])
    callspec = getattr(item, "callspec", None)
    if callspec is not None and OWN_DATABASE in callspec.params:
        return str(callspec.params[OWN_DATABASE])
    return None


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {config.getoption('--db')}"


@pytest.fixture(scope="session", autouse=True)
def _database_kind(request: pytest.FixtureRequest) -> Iterator[None]:
    """Start the throwaway PostgreSQL cluster when the run asks for it."""
    if request.config.getoption("--db") == "sqlite":
        yield
        return
    from tests.pg_cluster import throwaway_cluster

    with throwaway_cluster(options=TEST_CLUSTER_SETTINGS) as url:
        with databases.using_cluster(url):
            yield
            _close_long_lived_apps()


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """Empty or drop the PostgreSQL databases a test used (SQLite files go with
    tmp_path); those of module- or session-scoped fixtures live on."""
    databases.keep_handed_out()
    _long_lived_apps.extend(_apps_of_this_test)
    _apps_of_this_test.clear()
    yield
    for app in _apps_of_this_test:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    _apps_of_this_test.clear()
    databases.take_back()


#: Apps made by ``make_app`` during the running test, whose connections are closed
#: after it (a PostgreSQL database cannot be emptied while they hold locks).
_apps_of_this_test: list[Flask] = []
#: Apps of module- and session-scoped fixtures, closed at the end of the run:
#: kept referenced until then, so that no connection is garbage-collected open.
_long_lived_apps: list[Flask] = []


def _close_long_lived_apps() -> None:
    for app in _long_lived_apps:
        with app.app_context():
            db.engine.dispose()
    _long_lived_apps.clear()


def database_url(database_path: Path) -> str:
    """A fresh, empty database for one app: ``database_path`` on SQLite runs."""
    return databases.url_for(database_path)


def make_app(database_path: Path, **settings: object) -> Flask:
    """An app with its own database and CSRF switched on, as in production."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": settings.pop("SQLALCHEMY_DATABASE_URI", None)
        or database_url(database_path),
        "QUESTIONNAIRE_DIR": str(QUESTIONNAIRE_DIR),
        "ADMIN_PASSWORD": "admin-test-password",
        # hashing a password properly takes 0.1 s; the suite hashes thousands
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        # background jobs run at once in the asking process, files beside the database
        "JOBS_QUEUE_URL": "memory",
        "JOBS_DIR": str(database_path.parent / "jobs"),
        # kept uploads beside the database too: the SQLite and PostgreSQL runs of
        # make test share the checkout's instance folder
        "UPLOADS_DIR": str(database_path.parent / "uploads"),
    }
    config.update(settings)
    with routes_held_back() as routes:
        app = create_app(config)
    share_routes(app, routes)
    share_compiled_templates(app)
    _apps_of_this_test.append(app)
    return app


@pytest.fixture(scope="session")
def _empty_tables_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the models' tables and no rows, made once per run."""
    path = tmp_path_factory.mktemp("template") / "tables.db"
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.NullPool)
    db.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def app(tmp_path: Path, _empty_tables_file: Path) -> Iterator[Flask]:
    """An app with empty tables."""
    path = tmp_path / "sipas.db"
    url = databases.url_for(path, with_tables=True)
    if not databases.postgresql:
        # copying the tables costs a millisecond, creating them a twentieth of a second
        shutil.copyfile(_empty_tables_file, path)
    app = make_app(path, SQLALCHEMY_DATABASE_URI=url)
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_globals)
    with app.app_context():
        if databases.postgresql and not databases.has_tables(url):
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def _fresh_globals() -> None:
    """Start each request with an empty ``g``, as in production.

    Requests of the test client share the fixture's app context, and so its ``g``,
    where Flask-Login caches the user and Flask-WTF the CSRF token: without this a
    second client would inherit the first one's user and token, and a session
    ended by a password change would live on.
    """
    g.__dict__.clear()


@pytest.fixture
def demo_app(app: Flask, _demo_rows: dict[str, list[dict]]) -> Flask:
    """An app with the shipped questionnaires and the demo data."""
    # the rows the services made for the first test, inserted again: a fifth of
    # the time of storing the questionnaires and making the demo each time
    for table in db.metadata.sorted_tables:
        if _demo_rows.get(table.name):
            db.session.execute(table.insert(), _demo_rows[table.name])
    if databases.postgresql:  # ids were given: move the sequences past them
        for name in _demo_rows:
            db.session.execute(_move_sequence(db.metadata.tables[name]))
    db.session.commit()
    return app


def _move_sequence(table: sa.Table) -> sa.Select:
    """SQL: ``table``'s id sequence set to its largest id (PostgreSQL)."""
    sequence = sa.func.pg_get_serial_sequence(table.name, "id")
    return sa.select(
        sa.func.setval(sequence, sa.select(sa.func.max(table.c.id)).scalar_subquery())
    )


@pytest.fixture(scope="session")
def _demo_rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """Every row of the shipped questionnaires and the demo data, as the services
    store them (`flask sipas demo` without responses), made once per run."""
    path = tmp_path_factory.mktemp("demo") / "sipas.db"
    url = databases.url_for(path)
    app = make_app(path, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        questionnaires.sync(questionnaires.questionnaire_files(QUESTIONNAIRE_DIR))
        demo.ensure_demo("admin-test-password")
        db.session.commit()
        rows = {
            table.name: [
                dict(row) for row in db.session.execute(sa.select(table)).mappings()
            ]
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
        db.engine.dispose()
    return {name: found for name, found in rows.items() if found}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo_client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM_ID_PATTERN = re.compile(r'name="form_id" type="hidden" value="([^"]+)"')
SECTION_PATTERN = re.compile(r'name="section" type="hidden" value="([^"]+)"')


class SurveyPage:
    """What a step page carries that the next POST needs."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.csrf_token = _first(CSRF_PATTERN, html)
        self.form_id = uuid.UUID(_first(FORM_ID_PATTERN, html))
        self.section = _first(SECTION_PATTERN, html)

    def post_data(self, answers: dict[str, object], move: str = "next") -> dict:
        """Form fields for submitting ``answers`` from this page."""
        return {
            "csrf_token": self.csrf_token,
            "form_id": str(self.form_id),
            "section": self.section,
            "move": move,
            **answers,
        }


def _first(pattern: re.Pattern[str], html: str) -> str:
    match = pattern.search(html)
    assert match, f"{pattern.pattern} not found in page"
    return match.group(1)


@pytest.fixture
def survey_page():
    """Parse a step page: ``survey_page(response) -> SurveyPage``."""
    return lambda response: SurveyPage(response.get_data(as_text=True))


def login(client: FlaskClient, username: str, password: str):
    """Log ``client`` in through the login form (with its CSRF token)."""
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    return client.post(
        "/auth/login",
        data={"csrf_token": token, "username": username, "password": password},
    )


STAFF_PASSWORD = "correct-horse-battery-1"


@pytest.fixture
def login_as(app: Flask):
    """``login_as(client, Role.analyst, unit=None)``: a new account of that role
    (scoped to ``unit``) logged in on ``client``; returns the user."""
    from sipas.models import Role, Unit
    from sipas.services import accounts

    def _login_as(client: FlaskClient, role: Role, unit: Unit | None = None):
        username = f"{role.value}-{uuid.uuid4().hex[:6]}"
        user = accounts.create_user(username, STAFF_PASSWORD, role, unit=unit)
        db.session.commit()
        response = login(client, username, STAFF_PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


@pytest.fixture
def computed_scopes(monkeypatch):
    """The scopes whose published results were computed (a unit's code, "" for
    the whole round), one entry each time: a page or poster built, not served
    from what was kept."""
    from sipas.services.results import publication

    made: list[str] = []
    compute = publication.compute_results

    def counting(wave, root, **options):
        made.append(root.code if root is not None else "")
        return compute(wave, root, **options)

    monkeypatch.setattr(publication, "compute_results", counting)
    return made
