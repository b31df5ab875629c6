"""Fuzzing the ways answers come in: the phone steps, /api/sync and the file import.

Whatever is sent, the answer is never a 500, and nothing stored is garbage: every
stored answer is a known item with an allowed value, and a response whose answers
broke the rules is flagged with the reason. Examples are derandomised (the same
every run) and few, so the module runs in well under a minute.
"""

from __future__ import annotations

import csv
import io
import json
import math
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipas.extensions import db
from sipas.models import Response, ResponseStatus, Role
from sipas.questionnaire import (
    ItemType,
    Questionnaire,
    normalize_text,
    validate_answers,
)
from sipas.services import accounts, demo, questionnaires
from sipas.services.questionnaires import parsed
from sipas.services.responses import devices, imports
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from tests import hostile_workbooks
from tests.api.test_sync import kiosk, kiosk_response, stored, sync
from tests.conftest import CSRF_PATTERN, QUESTIONNAIRE_DIR, SurveyPage, login, make_app

__all__ = ["kiosk"]  # the fixture, used by name below

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
UNIT = "QN-HALONG-TT"
PASSWORD = "fuzz-admin-password-1"


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory) -> Iterator[Flask]:
    """One demo app for the module (examples add to it), with a kiosk and an admin.

    No application context stays pushed: each request gets its own, and so its own
    database session, as under a real server.
    """
    # hundreds of examples from one kiosk and one address: the limits would answer
    # 429 to most of them and hide what the endpoints do
    app = make_app(
        tmp_path_factory.mktemp("fuzz") / "fuzz.db", RATE_LIMIT_ENABLED=False
    )
    with app.app_context():
        db.create_all()
        questionnaires.sync(questionnaires.questionnaire_files(QUESTIONNAIRE_DIR))
        demo.ensure_demo("admin-test-password")
        unit = unit_by_code(UNIT)
        _, token = devices.create_device(unit, "Fuzz", None)
        accounts.create_user("fuzz-admin", PASSWORD, Role.admin)
        db.session.commit()
    app.config["FUZZ_TOKEN"] = token
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def questionnaire(fuzz_app: Flask) -> Questionnaire:
    with fuzz_app.app_context():
        wave = wave_by_code(demo.DEMO_WAVE_CODE)
        return parsed(wave.questionnaire)


def assert_nothing_stored_is_garbage(app: Flask) -> None:
    """Every stored response: its answers are known items with allowed values
    (validated again); one whose answers broke the rules is flagged, with why."""
    with app.app_context():
        for response in db.session.scalars(sa.select(Response)):
            questionnaire = parsed(response.questionnaire)
            kept: dict[str, list[str]] = {}
            for answer in response.answers:
                kept.setdefault(answer.item_code, []).append(answer.value)
            raw = {
                code: values
                if questionnaire.item(code).type is ItemType.multi_choice
                else values[0]
                for code, values in kept.items()
            }
            assert all(
                len(values) == 1
                for code, values in kept.items()
                if questionnaire.item(code).type is not ItemType.multi_choice
            ), response.uuid
            checked = validate_answers(questionnaire, raw, section_codes=())
            assert checked.is_valid, (response.uuid, checked.problems)
            # nothing beyond what validation keeps (answers to hidden items …)
            assert set(kept) == set(checked.answers), response.uuid
            for code, value in checked.answers.items():
                clean = [value] if isinstance(value, str) else list(value)
                assert sorted(kept[code]) == sorted(clean), (response.uuid, code)
            complete = validate_answers(
                questionnaire,
                raw,
                section_codes=None if response.channel.value != "paper" else (),
            )
            if not complete.is_valid:
                assert response.status is ResponseStatus.flagged, response.uuid
                assert response.status_reason, response.uuid


# ---- values of every shape ----------------------------------------------------

TRICKY_TEXT = [
    "",
    " ",
    "\x00",
    "\ud800",  # a lone surrogate: valid JSON escape, not encodable
    "Cán bộ\u0301 nhiệt tình",
    "e\u0301",
    "\u202e\u200b",
    "1e309",
    "NaN",
    "-0",
    "٣",
    "9" * 400,
    "x" * 5000,
    "'; DROP TABLE responses; --",
    "<script>alert(1)</script>",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=10),
    st.sampled_from(TRICKY_TEXT),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
moments = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(
        ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2026-13-45", ""]
    ),
    json_values,
)
uuids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex.upper()),
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    json_values,
)


def item_answers(questionnaire: Questionnaire) -> st.SearchStrategy[dict]:
    """Answers keyed by real (and some unknown) item codes: sometimes valid values,
    sometimes anything."""
    codes = [item.code for item in questionnaire.items]
    allowed = {
        item.code: [choice.code for choice in item.choices] or ["1", "abc"]
        for item in questionnaire.items
    }

    def value_for(code: str) -> st.SearchStrategy[object]:
        options = allowed.get(code, ["x"])
        return st.one_of(
            st.sampled_from(options),
            st.lists(st.sampled_from(options), max_size=4),
            json_values,
        )

    return st.dictionaries(
        st.sampled_from([*codes, "NO_SUCH_ITEM", "", "A1 "]), st.just(None), max_size=12
    ).flatmap(
        lambda keys: st.fixed_dictionaries({code: value_for(code) for code in keys})
    )


# ---- /api/sync -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sync_bodies(questionnaire: Questionnaire) -> st.SearchStrategy[object]:
    response = st.fixed_dictionaries(
        {"uuid": uuids},
        optional={
            "answers": st.one_of(item_answers(questionnaire), json_values),
            "unit_code": st.one_of(st.just(UNIT), json_values),
            "started_at": moments,
            "submitted_at": moments,
            "language": st.one_of(st.sampled_from(["vi", "en"]), json_values),
        },
    )
    return st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"responses": st.one_of(st.lists(response | json_values, max_size=4))},
            optional={"app_version": json_values, "unsent": json_values},
        ),
    )


def test_sync_never_500_and_stores_no_garbage(fuzz_app, sync_bodies):
    client = fuzz_app.test_client()
    headers = {"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"}

    @FUZZ
    @given(body=sync_bodies)
    def check(body: object) -> None:
        data = json.dumps(body, allow_nan=True)
        answer = client.post(
            "/api/sync", data=data, headers=headers, content_type="application/json"
        )
        assert answer.status_code < 500, (data[:500], answer.get_data(as_text=True))
        assert answer.is_json
        if answer.status_code == 200:
            acknowledged = answer.get_json()["acknowledged"]
            with fuzz_app.app_context():
                for value in acknowledged:
                    assert db.session.scalar(
                        sa.select(Response.id).filter_by(uuid=uuid.UUID(value))
                    )

    check()
    assert_nothing_stored_is_garbage(fuzz_app)


@FUZZ
@given(data=st.binary(max_size=300))
def test_sync_of_arbitrary_bytes_is_a_clear_4xx(fuzz_app, data):
    answer = fuzz_app.test_client().post(
        "/api/sync",
        data=data,
        headers={"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"},
    )
    assert answer.status_code in (200, 400, 413), answer.get_data(as_text=True)
    assert answer.is_json


# ---- the phone steps ---------------------------------------------------------------


def test_phone_steps_never_500_and_store_no_garbage(fuzz_app, questionnaire):
    sections = [section.code for section in questionnaire.sections]
    fields = st.dictionaries(
        st.sampled_from(
            [item.code for item in questionnaire.items] + ["form_id", "x", "move"]
        ),
        st.one_of(
            st.text(max_size=40),
            # a form cannot carry a lone surrogate (browsers send U+FFFD)
            st.sampled_from([t for t in TRICKY_TEXT[:-2] if t != "\ud800"]),
            st.lists(st.text(max_size=5), max_size=3),
        ),
        max_size=10,
    )

    @FUZZ
    @given(
        extra=fields,
        section=st.one_of(st.sampled_from(sections), st.text(max_size=10)),
        keep_csrf=st.booleans(),
        form_id=st.one_of(st.none(), uuids.filter(lambda u: isinstance(u, str))),
        move=st.sampled_from(["next", "back", "", "jump"]),
    )
    def check(extra, section, keep_csrf, form_id, move) -> None:
        client = fuzz_app.test_client()
        page = client.get(f"/s/{UNIT}")
        assert page.status_code == 200
        step = SurveyPage(page.get_data(as_text=True))
        data = step.post_data(extra, move=move)
        data["section"] = section
        if form_id is not None:
            data["form_id"] = form_id
        if not keep_csrf:
            del data["csrf_token"]
        answer = client.post(f"/s/{UNIT}", data=data)
        assert answer.status_code < 500, answer.get_data(as_text=True)[:2000]
        if answer.status_code == 302:
            assert client.get(answer.location).status_code < 500

    check()
    assert_nothing_stored_is_garbage(fuzz_app)


# ---- the import --------------------------------------------------------------------


def csv_bytes(rows: list[list[str]], delimiter: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def import_files(questionnaire: Questionnaire) -> st.SearchStrategy[tuple[str, bytes]]:
    columns = ["response_id", "unit", "channel", "submitted_at", "weight"] + [
        item.code for item in questionnaire.items
    ]
    cell = st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            ["4", "5", "1", "yes", "no", "web", "paper", UNIT, "", "nan", "1e400"]
        ),
        st.sampled_from(TRICKY_TEXT[:-1]),
        st.uuids().map(str),
    )
    header = st.lists(st.sampled_from([*columns, "??", ""]), min_size=1, max_size=12)
    structured = st.tuples(
        header,
        st.lists(st.lists(cell, max_size=14), max_size=6),
        st.sampled_from([",", ";"]),
    ).map(lambda t: ("data.csv", csv_bytes([t[0], *t[1]], t[2])))
    raw = st.tuples(
        st.sampled_from(["data.csv", "data.xlsx", "data.txt", "DATA.CSV", ""]),
        st.binary(max_size=400),
    )
    xlsx_like = st.binary(max_size=200).map(lambda b: ("data.xlsx", b"PK\x03\x04" + b))
    return st.one_of(structured, raw, xlsx_like)


def test_import_never_fails_and_stores_no_garbage(fuzz_app, import_files):
    @FUZZ
    @given(file=import_files, valid_only=st.booleans())
    def check(file: tuple[str, bytes], valid_only: bool) -> None:
        name, data = file
        with fuzz_app.app_context():
            wave = wave_by_code(demo.DEMO_WAVE_CODE)
            report = imports.import_file(wave, name, data, None, valid_only=valid_only)
            if report.imported:
                db.session.commit()
            else:
                db.session.rollback()
            assert report.imported <= report.rows
            assert report.ok or report.errors or report.file_error

    check()
    assert_nothing_stored_is_garbage(fuzz_app)


def test_the_import_page_never_500(fuzz_app, import_files):
    client = fuzz_app.test_client()
    assert login(client, "fuzz-admin", PASSWORD).status_code == 302

    @settings(FUZZ, max_examples=40)
    @given(file=import_files)
    def check(file: tuple[str, bytes]) -> None:
        name, data = file
        page = client.get("/entry/import").get_data(as_text=True)
        token = CSRF_PATTERN.search(page).group(1)
        answer = client.post(
            "/entry/import",
            data={
                "csrf_token": token,
                "wave": demo.DEMO_WAVE_CODE,
                "file": (io.BytesIO(data), name),
            },
            content_type="multipart/form-data",
        )
        assert answer.status_code in (200, 302, 400, 413), answer.status_code

    check()
    assert_nothing_stored_is_garbage(fuzz_app)


#: Every upload of a workbook: (page with the form, action, file field, fields).
WORKBOOK_UPLOADS = (
    ("/entry/import", "/entry/import", "file", {"wave": demo.DEMO_WAVE_CODE}),
    ("/admin/units/import", "/admin/units/import", "file", {}),
    ("/admin/waves/demo", "/admin/waves/demo/targets/import", "table", {}),
    ("/admin/questionnaires", "/admin/questionnaires/upload", "file", {}),
)
#: A small workbook whose sheet XML the examples break.
SHEET_ROWS = [["unit_code", "population", "target_sample"], [UNIT, 100, 10]]


def broken_sheet(xml: str, cut: int, junk: str, where: int) -> str:
    """``xml`` cut short, or with ``junk`` put in at ``where``."""
    if junk == "":
        return xml[: cut % (len(xml) + 1)]
    at = where % (len(xml) + 1)
    return xml[:at] + junk + xml[at:]


def test_every_workbook_upload_answers_broken_sheet_xml_with_a_4xx(fuzz_app):
    client = fuzz_app.test_client()
    assert login(client, "fuzz-admin", PASSWORD).status_code == 302
    base = hostile_workbooks.workbook(SHEET_ROWS)

    @settings(FUZZ, max_examples=60)
    @given(
        upload=st.sampled_from(WORKBOOK_UPLOADS),
        cut=st.integers(min_value=0),
        junk=st.sampled_from(
            [
                "",
                "<",
                "&bogus;",
                "<c r='ZZZZZ9'>",
                '<row r="-1">',
                "\x00",
                "]]>",
                '<dimension ref="A1:XFD1048576"/>',
                '<c r="XFD1"><v>1</v></c>',
            ]
        ),
        where=st.integers(min_value=0),
    )
    def check(upload, cut: int, junk: str, where: int) -> None:
        page, action, field, fields = upload
        data = hostile_workbooks.with_sheet_xml(
            base, lambda xml: broken_sheet(xml, cut, junk, where)
        )
        token = CSRF_PATTERN.search(client.get(page).get_data(as_text=True)).group(1)
        answer = client.post(
            action,
            data={"csrf_token": token, **fields, field: (io.BytesIO(data), "f.xlsx")},
            content_type="multipart/form-data",
        )
        assert answer.status_code in (302, 400), (action, answer.status_code)

    check()


def test_user_forms_answer_any_role_with_a_4xx(fuzz_app):
    client = fuzz_app.test_client()
    assert login(client, "fuzz-admin", PASSWORD).status_code == 302

    @settings(FUZZ, max_examples=30)
    @given(
        role=st.one_of(st.text(max_size=20), st.sampled_from(["ADMIN", " admin", ""])),
        edit=st.booleans(),
    )
    def check(role: str, edit: bool) -> None:
        path = "/admin/users/1" if edit else "/admin/users/new"
        token = CSRF_PATTERN.search(client.get(path).get_data(as_text=True)).group(1)
        fields = {"role": role, "unit": "", "username": "fuzzed"}
        answer = client.post(path, data={"csrf_token": token, **fields})
        if role not in ("admin", "analyst", "surveyor"):
            assert answer.status_code == 400, (role, answer.status_code)
        else:
            assert answer.status_code < 500

    check()


def test_the_fuzz_values_include_what_json_allows_beyond_the_standard():
    """NaN and Infinity are sent as bare words, which Python's json reads."""
    assert math.isnan(json.loads(json.dumps(float("nan"), allow_nan=True)))


# ---- what the fuzzing found: regression tests ---------------------------------------


def test_a_lone_surrogate_in_a_kiosk_comment_is_dropped(demo_client, kiosk):
    """JSON may carry "\\ud800"; the database cannot store it (it was a 500)."""
    _, token = kiosk
    item = kiosk_response()
    item["answers"]["comment"] = "Tốt\ud800 lắm"
    body = json.dumps({"responses": [item], "app_version": "\ud8001.2"})
    answer = demo_client.post(
        "/api/sync",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    response = stored(item)
    assert {a.item_code: a.value for a in response.answers}["comment"] == "Tốt lắm"
    assert response.status is ResponseStatus.complete
    assert normalize_text("a\udfffb") == "ab"


def test_a_huge_unsent_count_is_ignored(demo_client, kiosk):
    """Beyond the column's range (it was a 500)."""
    device, token = kiosk
    assert sync(demo_client, token, [], unsent=10**20).status_code == 200
    assert sync(demo_client, token, [], unsent=7).status_code == 200
    db.session.refresh(device)
    assert device.unsent_count == 7


@pytest.mark.parametrize(
    ("started", "submitted"),
    [
        ("0001-01-01T00:00:00+05:00", None),  # before the year 1 in UTC
        (None, "0001-01-01T00:00:30"),  # a minute before is before the year 1
        ("9999-12-31T23:59:59-12:00", None),  # after the year 9999 in UTC
        ("1970-01-01T00:00:00Z", "1970-01-01T00:05:00Z"),  # a reset clock
    ],
)
def test_device_times_out_of_range_are_not_believed(
    demo_client, kiosk, started, submitted
):
    """They overflowed Python's dates (500s); a reset clock is not believed."""
    _, token = kiosk
    item = kiosk_response(started_at=started, submitted_at=submitted)
    answer = sync(demo_client, token, [item])
    assert answer.status_code == 200
    assert answer.get_json()["acknowledged"] == [item["uuid"]]
    response = stored(item)
    assert response.started_at is None
    assert response.submitted_at.year >= 2026


def test_a_structure_is_not_a_text_answer(demo_client, kiosk):
    """A JSON object for a comment was stored as the text "{'a': [1]}"."""
    _, token = kiosk
    item = kiosk_response()
    item["answers"]["comment"] = {"a": [1]}
    item["answers"]["overall"] = [["5"]]
    assert sync(demo_client, token, [item]).status_code == 200
    response = stored(item)
    codes = {a.item_code for a in response.answers}
    assert "comment" not in codes
    assert "overall" not in codes
    assert response.status is ResponseStatus.flagged
    assert "comment:not_single" in response.status_reason
