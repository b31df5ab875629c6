"""Every back-office and entry route × every kind of visitor: the answer each gets.

Adding a route under /admin or /entry (or a logged-in page under /auth) makes
``test_every_route_is_in_the_table`` fail until the route has a row in ACCESS; a URL
argument with a new name needs a value in URL_VALUES.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from sipas.extensions import db
from sipas.models import Device, QuestionnaireVersion, Role, Unit, UnitLevel, User
from sipas.services import accounts
from sipas.services.paper.issuing import issue_forms, recent_batches
from sipas.services.questionnaires import upload
from sipas.services.responses.devices import create_device
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from tests.conftest import CSRF_PATTERN, QUESTIONNAIRE_DIR, STAFF_PASSWORD
from tests.entry_helpers import make_disagreement
from tests.factories import make_response, make_unit

#: Logged-in pages outside /admin and /entry that the table covers too.
AUTH_PAGES = ("/auth/password", "/auth/account")


@dataclass(frozen=True)
class Access:
    """Who may use a route, and whether it carries a unit or wave in its URL
    (then an analyst scoped elsewhere must get 403)."""

    roles: frozenset[Role]
    scoped: bool = False
    #: a thing of one user's (a background job): any other non-administrator is
    #: told it does not exist (404), never that it is forbidden
    owned: bool = False


ADMINS = frozenset({Role.admin})
READERS = frozenset({Role.admin, Role.analyst})
ENTRY = frozenset({Role.admin, Role.surveyor})
EVERYONE = frozenset(Role)
JOB_OWNERS = READERS | {Role.surveyor}

#: endpoint → Access. Rows for the routes of every area; keep them in URL order.
ACCESS: dict[str, Access] = {
    # overview
    "admin.index": Access(READERS),
    # accounts
    "admin.users": Access(ADMINS),
    "admin.user_create": Access(ADMINS),
    "admin.user_edit": Access(ADMINS),
    "admin.user_disable": Access(ADMINS),
    "admin.user_enable": Access(ADMINS),
    "admin.user_password": Access(ADMINS),
    # audit log
    "admin.audit_log": Access(ADMINS),
    # paper forms
    "admin.paper_forms": Access(ADMINS),
    "admin.paper_batch": Access(ADMINS),
    # QR posters
    "admin.posters": Access(ADMINS),
    # units
    "admin.units": Access(ADMINS),
    "admin.unit_new": Access(ADMINS),
    "admin.unit_page": Access(ADMINS),
    "admin.unit_move": Access(ADMINS),
    "admin.unit_merge": Access(ADMINS),
    "admin.units_official": Access(ADMINS),
    "admin.units_import": Access(ADMINS),
    "admin.units_template": Access(ADMINS),
    "admin.units_export": Access(ADMINS),
    # survey rounds
    "admin.wave_new": Access(ADMINS),
    "admin.wave": Access(READERS, scoped=True),
    "admin.wave_progress": Access(READERS, scoped=True),
    "admin.wave_status": Access(ADMINS),
    "admin.wave_edit": Access(ADMINS),
    "admin.wave_targets": Access(ADMINS),
    "admin.wave_targets_import": Access(ADMINS),
    "admin.wave_publish_confirm": Access(ADMINS),
    "admin.wave_publish": Access(ADMINS),
    "admin.wave_unpublish": Access(ADMINS),
    "admin.wave_results_poster": Access(READERS),
    # questionnaires
    "admin.questionnaires": Access(ADMINS),
    "admin.questionnaire_upload": Access(ADMINS),
    "admin.questionnaire_preview": Access(ADMINS),
    "admin.questionnaire_preview_kiosk": Access(ADMINS),
    "admin.questionnaire_preview_paper": Access(ADMINS),
    "admin.questionnaire_decide": Access(ADMINS),
    "admin.questionnaire_download": Access(ADMINS),
    # responses
    "admin.responses": Access(READERS),
    "admin.response": Access(READERS, scoped=True),
    "admin.response_original": Access(ADMINS),
    "admin.response_status": Access(ADMINS),
    "admin.accept_many_confirm": Access(ADMINS),
    "admin.accept_many": Access(ADMINS),
    # results
    "admin.dashboard": Access(READERS),
    "admin.wave_dashboard": Access(READERS, scoped=True),
    "admin.download": Access(READERS, scoped=True),
    "admin.download_parquet": Access(READERS, scoped=True),
    "admin.report_pdf": Access(READERS, scoped=True),
    "admin.results_job": Access(READERS, scoped=True),
    # the results of a large scope, computed by the worker: the job in the URL is
    # of the whole round, so readers of a narrower scope are told it does not exist
    "admin.results_progress": Access(READERS, scoped=True, owned=True),
    "admin.results_again": Access(READERS, scoped=True),
    # large files made in the background (the job in the URL is another user's)
    # (a surveyor's are their large imports)
    "admin.jobs": Access(JOB_OWNERS),
    "admin.job": Access(JOB_OWNERS, owned=True),
    "admin.job_file": Access(READERS, owned=True),
    "admin.job_progress": Access(JOB_OWNERS, owned=True),
    "admin.paper_batch_job": Access(ADMINS),
    # file import of responses
    "entry.import_responses": Access(ENTRY),
    "entry.import_job_decision": Access(ENTRY, owned=True),
    # paper entry
    "entry.index": Access(ENTRY),
    "entry.serial_check": Access(ENTRY),
    "entry.open_form": Access(ENTRY),
    "entry.form": Access(ENTRY),
    "entry.review": Access(ENTRY),
    "entry.settle_form": Access(ENTRY),
    "entry.stats": Access(ADMINS),
    "entry.wave_setting": Access(ADMINS),
    "entry.accept_import": Access(ADMINS),
    "entry.import_setting": Access(ADMINS),
    # kiosk devices
    "admin.devices_list": Access(ADMINS),
    "admin.device_create": Access(ADMINS),
    "admin.device_revoke_confirm": Access(ADMINS),
    "admin.device_revoke": Access(ADMINS),
    "admin.device_token": Access(ADMINS),
    # one's own account
    "auth.account": Access(EVERYONE),
    "auth.change_password": Access(EVERYONE),
}


@dataclass
class Fixtures:
    """Objects of the demo data that URL arguments point at."""

    app: Flask
    #: An account the routes act on (never the one making the request).
    target_user: User
    #: A province outside the demo one, for the out-of-scope analyst.
    other_province: Unit
    #: Id of the demo centre QN-HALONG-TT.
    unit_id: int
    #: A response of the demo wave, from centre QN-HALONG-TT.
    response_uuid: uuid.UUID


#: URL argument name → its value, built from the fixtures. The demo wave is "demo";
#: its units lie in province "QN".
URL_VALUES: dict[str, Callable[[Fixtures], Any]] = {
    "unit_code": lambda f: "QN-HALONG-TT",
    "code": lambda f: "QN-HALONG-TT",
    "wave_code": lambda f: "demo",
    "user_id": lambda f: f.target_user.id,
    "response_uuid": lambda f: str(f.response_uuid),
    "action": lambda f: "void",
    "unit_id": lambda f: f.unit_id,
    "fmt": lambda f: "xlsx",
    "serial": lambda f: PAPER_SERIAL,
    "batch": lambda f: _paper_batch(),
    "device_id": lambda f: _device_id(),
    "token": lambda f: _preview_token(),
    "version_id": lambda f: _version_id(),
    "kind": lambda f: "xlsx",
    "batch_id": lambda f: _import_batch(),
    "job_id": lambda f: _job(f.target_user),
}


def _job(owner: User) -> int:
    """A finished background job of ``owner`` (made on first use)."""
    from sipas.models import Job, JobKind
    from sipas.services.jobs import lifecycle

    job = db.session.scalar(sa.select(Job).where(Job.owner_id == owner.id))
    if job is None:
        wave = wave_by_code("demo")
        job = lifecycle.create(JobKind.export, owner, wave, {"format": "csv"}, 0)
        db.session.commit()
    return job.id


def _import_batch() -> int:
    """An import batch of the demo wave (no rows: accepting it changes nothing)."""
    from sipas.services.responses import batches
    from sipas.services.waves.lookup import wave_by_code

    return batches.new_batch(wave_by_code("demo"), "x.csv", b"x", None).id


def _preview_token() -> str:
    """A pending upload of the shipped 2017 form, waiting for its preview."""
    data = (QUESTIONNAIRE_DIR / "sipas-2017-v2.yaml").read_bytes()
    return upload.keep_pending("sipas-2017-v2.yaml", data)


def _version_id() -> int:
    return db.session.scalar(sa.select(sa.func.min(QuestionnaireVersion.id)))


#: The paper form entered twice with a difference (entry.settle_form).
PAPER_SERIAL = 1

#: endpoint → {argument: value} where one route needs another value than URL_VALUES.
URL_OVERRIDES: dict[str, dict[str, Callable[[Fixtures], Any]]] = {
    endpoint: {"code": lambda f: "demo"}
    for endpoint in (
        "admin.wave",
        "admin.wave_progress",
        "admin.wave_status",
        "admin.wave_edit",
        "admin.wave_targets",
        "admin.wave_targets_import",
        "admin.wave_publish_confirm",
        "admin.wave_publish",
        "admin.wave_unpublish",
        "admin.wave_results_poster",
    )
}
URL_OVERRIDES["admin.questionnaire_preview_paper"] = {"kind": lambda f: "pdf"}
URL_OVERRIDES["admin.results_progress"] = {"job_id": lambda f: _results_job(f)}


def _results_job(fixtures: Fixtures) -> int:
    """A job computing the whole demo round's results (made on first use)."""
    from sipas.models import JobKind
    from sipas.services.jobs import sections

    wave = wave_by_code("demo")
    parameters = {"unit": None, "language": "vi", "group": "", "fingerprint": "x"}
    job, _new = sections.ask(fixtures.target_user, wave, parameters, 0)
    assert job.kind is JobKind.results
    db.session.commit()
    return job.id


def covered_rules(app: Flask) -> list[Rule]:
    """The routes this test must cover."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith(("/admin", "/entry")) or rule.rule in AUTH_PAGES
        ),
        key=lambda rule: rule.rule,
    )


def build_path(rule: Rule, fixtures: Fixtures) -> str:
    values = {}
    for argument in sorted(rule.arguments):
        source = URL_OVERRIDES.get(rule.endpoint, {}).get(argument)
        source = source or URL_VALUES.get(argument)
        assert source is not None, (
            f"{rule.endpoint}: add a value for URL argument {argument!r} to URL_VALUES"
        )
        values[argument] = source(fixtures)
    return rule.build(values, append_unknown=False)[1]


def csrf_token(client: FlaskClient) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    return CSRF_PATTERN.search(page).group(1)


def request(client: FlaskClient, rule: Rule, path: str):
    """GET the route, or POST (with a valid CSRF token) if it only takes POST."""
    if "GET" in rule.methods:
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(client)})


#: The visitors each route is tried as.
VISITORS = ("anonymous", "surveyor", "analyst", "outside_analyst", "admin")


def expected(visitor: str, access: Access) -> str:
    """ "login", "forbidden" or "allowed"."""
    if visitor == "anonymous":
        return "login"
    role = Role.analyst if visitor == "outside_analyst" else Role(visitor)
    if role not in access.roles:
        return "forbidden"
    if visitor == "outside_analyst" and access.scoped:
        return "forbidden"
    if access.owned and role is not Role.admin:
        return "status 404"
    return "allowed"


def outcome(response, method: str) -> str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/auth/login"):
        return "login"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code < 400:
        return "allowed"
    if response.status_code == 400 and method == "POST":
        return "allowed"  # past the role and scope checks; the empty form refused
    return f"status {response.status_code}"


@pytest.fixture
def fixtures(demo_app: Flask) -> Fixtures:
    other = make_unit("HN", "Thành phố Hà Nội", UnitLevel.province)
    target = accounts.create_user(
        "target-account",
        STAFF_PASSWORD,
        Role.surveyor,
        unit=unit_by_code("QN-HALONG-TT"),
    )
    response = make_response("QN-HALONG-TT")
    wave = wave_by_code("demo")
    make_disagreement(wave, unit_by_code("QN-HALONG-TT"), PAPER_SERIAL)
    db.session.commit()
    return Fixtures(
        app=demo_app,
        target_user=target,
        other_province=other,
        unit_id=unit_by_code("QN-HALONG-TT").id,
        response_uuid=response.response.uuid,
    )


def _paper_batch() -> str:
    """A batch of paper forms of the demo wave (issued on first use)."""
    batches = recent_batches(limit=1)
    if batches:
        return batches[0].batch
    wave = wave_by_code("demo")
    forms = issue_forms(wave, unit_by_code("QN-HALONG-TT"), 1, None)
    db.session.commit()
    return forms[0].batch


def _device_id() -> int:
    """A kiosk of the demo centre (registered on first use)."""
    device = db.session.scalar(sa.select(Device).limit(1))
    if device is None:
        device, _token = create_device(unit_by_code("QN-HALONG-TT"), "Quầy 1", None)
        db.session.commit()
    return device.id


def logged_in(visitor: str, fixtures: Fixtures, login_as) -> FlaskClient:
    client = fixtures.app.test_client()
    if visitor == "anonymous":
        return client
    if visitor == "outside_analyst":
        login_as(client, Role.analyst, unit=fixtures.other_province)
    elif visitor == "admin":
        login_as(client, Role.admin)
    else:
        login_as(client, Role(visitor), unit=unit_by_code("QN"))
    return client


def test_every_route_is_in_the_table(demo_app):
    endpoints = {rule.endpoint for rule in covered_rules(demo_app)}
    missing = sorted(endpoints - ACCESS.keys())
    assert not missing, f"add these routes to ACCESS in {__name__}: {missing}"
    stale = sorted(ACCESS.keys() - endpoints)
    assert not stale, f"ACCESS lists routes that do not exist: {stale}"


@pytest.mark.parametrize("visitor", VISITORS)
def test_each_route_answers_each_visitor(fixtures, login_as, visitor):
    client = logged_in(visitor, fixtures, login_as)
    wrong = []
    for rule in covered_rules(fixtures.app):
        access = ACCESS.get(rule.endpoint)
        if access is None:
            continue  # reported by test_every_route_is_in_the_table
        path = build_path(rule, fixtures)
        method = "GET" if "GET" in rule.methods else "POST"
        got = outcome(request(client, rule, path), method)
        want = expected(visitor, access)
        if got != want:
            wrong.append(f"{rule.endpoint} {path}: {got}, expected {want}")
    assert not wrong, f"as {visitor}:\n" + "\n".join(wrong)


#: The public pages of published results: every visitor gets the same answer, a
#: 404 while the round is not published, the page once it is.
PUBLIC_RESULTS = (
    "public.published_list",
    "public.published_wave",
    "public.published_unit",
    "public.published_poster",
)


def test_every_published_results_route_is_in_the_table(demo_app):
    endpoints = {
        rule.endpoint
        for rule in demo_app.url_map.iter_rules()
        if rule.rule.startswith("/ket-qua")
    }
    assert endpoints == set(PUBLIC_RESULTS)


@pytest.mark.parametrize("visitor", VISITORS)
def test_published_results_answer_every_visitor_only_once_published(
    fixtures, login_as, visitor
):
    from sipas.models import WaveStatus
    from sipas.services.waves.admin import change_status
    from sipas.services.waves.publication import publish_wave

    client = logged_in(visitor, fixtures, login_as)
    rules = [
        r for r in fixtures.app.url_map.iter_rules() if r.endpoint in PUBLIC_RESULTS
    ]
    paths = {r.endpoint: build_path(r, fixtures) for r in rules}
    before = {e: client.get(p).status_code for e, p in paths.items()}
    assert before == {
        e: 200 if e == "public.published_list" else 404 for e in PUBLIC_RESULTS
    }
    wave = wave_by_code("demo")
    change_status(wave, WaveStatus.closed, None)
    publish_wave(wave, None)
    db.session.commit()
    after = {e: client.get(p).status_code for e, p in paths.items()}
    assert after == dict.fromkeys(PUBLIC_RESULTS, 200)


def test_table_entries_make_sense():
    for endpoint, access in ACCESS.items():
        assert Role.admin in access.roles, f"{endpoint}: admins may open everything"
