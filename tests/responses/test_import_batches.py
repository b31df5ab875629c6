"""Imports cannot bypass verification (issue 18 item 3): rows are channel
``import`` with their file recorded, pass the quality rules, wait for an
administrator's acceptance unless the wave says otherwise, and never take a paper
form's id. Everything through the import page and the back office."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from sipas.extensions import db
from sipas.models import (
    AuditEvent,
    Channel,
    ImportBatch,
    Response,
    ResponseStatus,
    Role,
)
from sipas.questionnaire.quality import STRAIGHT_LINING, signal_bit
from sipas.services.paper.entry import response_uuid
from sipas.services.units.lookup import unit_by_code
from tests.conftest import CSRF_PATTERN
from tests.responses.test_imports import (
    csv_file,
    make_row,
    upload,
)


def _stored(wave) -> list[Response]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Response).filter_by(wave_id=wave.id)))


def _stats_page(client) -> str:
    return client.get("/entry/stats?wave=demo").get_data(as_text=True)


def _accept(client, batch_id: int):
    token = CSRF_PATTERN.search(_stats_page(client)).group(1)
    return client.post(
        f"/entry/stats/demo/imports/{batch_id}/accept", data={"csrf_token": token}
    )


def test_the_channel_of_an_import_is_import_with_its_file(
    demo_client, login_as, wave, questionnaire
):
    user = login_as(demo_client, Role.admin)
    rows = [make_row(questionnaire, channel=claim) for claim in ("kiosk", "web")]
    assert upload(demo_client, csv_file(rows), "field-day.csv").status_code == 302
    stored = _stored(wave)
    assert {r.channel for r in stored} == {Channel.imported}
    (batch,) = db.session.scalars(sa.select(ImportBatch))
    assert (batch.filename, batch.rows, batch.imported_by_id) == (
        "field-day.csv",
        2,
        user.id,
    )
    assert {r.import_batch_id for r in stored} == {batch.id}
    (event,) = db.session.scalars(
        sa.select(AuditEvent).filter_by(action="responses.import")
    )
    assert event.details["batch"] == batch.id


def test_imported_rows_wait_for_an_audited_acceptance(
    demo_client, login_as, wave, questionnaire
):
    login_as(demo_client, Role.admin)
    upload(demo_client, csv_file([make_row(questionnaire) for _ in range(3)]))
    assert {r.status for r in _stored(wave)} == {ResponseStatus.flagged}
    with force_locale("vi"):
        said = gettext("They count once an administrator accepts the file.")
    assert said in demo_client.get("/entry/import").get_data(as_text=True)
    (batch,) = db.session.scalars(sa.select(ImportBatch))
    assert "in.csv" in _stats_page(demo_client)
    assert _accept(demo_client, batch.id).status_code == 302
    assert {r.status for r in _stored(wave)} == {ResponseStatus.complete}
    (event,) = db.session.scalars(
        sa.select(AuditEvent).filter_by(action="responses.import_accept")
    )
    assert event.details["released"] == 3


def test_surveyors_cannot_accept_their_own_import(
    demo_client, login_as, wave, questionnaire
):
    admin = demo_client.application.test_client()
    login_as(admin, Role.admin)
    upload(admin, csv_file([make_row(questionnaire)]))
    (batch,) = db.session.scalars(sa.select(ImportBatch))
    login_as(demo_client, Role.surveyor, unit=unit_by_code("QN-HALONG-TT"))
    answer = demo_client.post(f"/entry/stats/demo/imports/{batch.id}/accept")
    assert answer.status_code in (400, 403)
    assert {r.status for r in _stored(wave)} == {ResponseStatus.flagged}


def test_the_wave_setting_counts_imported_rows_at_once(
    demo_client, login_as, wave, questionnaire
):
    login_as(demo_client, Role.admin)
    token = CSRF_PATTERN.search(_stats_page(demo_client)).group(1)
    answer = demo_client.post(
        "/entry/stats/demo/import-setting",
        data={"csrf_token": token, "counts_unaccepted": "y"},
    )
    assert answer.status_code == 302
    upload(demo_client, csv_file([make_row(questionnaire) for _ in range(2)]))
    assert {r.status for r in _stored(wave)} == {ResponseStatus.complete}


def test_imported_rows_pass_the_quality_rules(
    demo_client, login_as, wave, questionnaire
):
    login_as(demo_client, Role.admin)
    varied = make_row(questionnaire)
    same = make_row(questionnaire, D3="4")  # every criterion answered 4
    upload(demo_client, csv_file([varied, same]))
    signals = {str(r.uuid): r.quality_signals for r in _stored(wave)}
    bit = signal_bit(STRAIGHT_LINING)
    assert signals[same["response_id"]] & bit
    assert not signals[varied["response_id"]] & bit


def test_a_paper_form_id_is_refused_at_its_row(
    demo_client, login_as, wave, questionnaire
):
    login_as(demo_client, Role.admin)
    paper_id = str(response_uuid(wave, 42))
    rows = [make_row(questionnaire), make_row(questionnaire, response_id=paper_id)]
    answer = upload(demo_client, csv_file(rows))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert re.search(r"<td class=\"num\">3</td><td><code>response_id</code>", page)
    assert _stored(wave) == []  # all or nothing


def test_importing_the_same_file_twice_makes_one_batch(
    demo_client, login_as, wave, questionnaire
):
    login_as(demo_client, Role.admin)
    data = csv_file([make_row(questionnaire) for _ in range(2)])
    upload(demo_client, data)
    upload(demo_client, data)
    assert len(_stored(wave)) == 2
    assert db.session.scalar(sa.select(sa.func.count(ImportBatch.id))) == 1


def _published(wave) -> None:
    """The round closed and its results made public."""
    from sipas.models import WaveStatus
    from sipas.services.waves.admin import change_status
    from sipas.services.waves.publication import publish_wave

    change_status(wave, WaveStatus.closed, None)
    publish_wave(wave, None)
    db.session.commit()


def test_nothing_changes_what_a_published_round_counts(
    demo_client, login_as, wave, questionnaire
):
    """Accepting a file or changing which responses count would change public
    figures under their publication date: refused, with why, until the results
    are taken down."""
    login_as(demo_client, Role.admin)
    upload(demo_client, csv_file([make_row(questionnaire) for _ in range(3)]))
    (batch,) = db.session.scalars(sa.select(ImportBatch))
    token = CSRF_PATTERN.search(_stats_page(demo_client)).group(1)
    _published(wave)
    page = _stats_page(demo_client)
    assert "Kết quả của đợt khảo sát này đã được công bố" in page
    assert f"/imports/{batch.id}/accept" not in page
    assert "/import-setting" not in page
    assert "/demo/setting" not in page
    for path, data in (
        (f"/entry/stats/demo/imports/{batch.id}/accept", {}),
        ("/entry/stats/demo/import-setting", {"counts_unaccepted": "y"}),
        ("/entry/stats/demo/setting", {"counts_unverified": "y"}),
    ):
        answer = demo_client.post(
            path, data={"csrf_token": token, **data}, follow_redirects=True
        )
        assert "Không có gì được thay đổi" in answer.get_data(as_text=True), path
    db.session.expire_all()
    assert {r.status for r in _stored(wave)} == {ResponseStatus.flagged}
    assert db.session.get(ImportBatch, batch.id).accepted_at is None
    assert not wave.counts_unaccepted_imports
    assert not wave.counts_unverified_paper


def test_rows_waiting_for_acceptance_say_so_in_vietnamese(
    demo_client, login_as, wave, questionnaire
):
    login_as(demo_client, Role.admin)
    upload(demo_client, csv_file([make_row(questionnaire)]))
    (response,) = _stored(wave)
    page = demo_client.get(f"/admin/responses/{response.uuid}").get_data(as_text=True)
    assert "Tệp nhập chưa được chấp nhận" in page
    assert "import not accepted yet" not in page
