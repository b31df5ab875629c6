"""Responses in the back office: filtered list, one response in full, void, restore
and review of flagged ones, within the reader's scope."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_babel import refresh
from sqlalchemy import event

from sipas.extensions import db
from sipas.models import (
    AuditEvent,
    Channel,
    Response,
    ResponseStatus,
    Role,
    UnitLevel,
)
from sipas.questionnaire import quality as rules
from sipas.services.responses import admin as response_admin
from sipas.services.responses.admin import ResponseFilters
from sipas.services.results.sums import wave_analysis
from sipas.services.synthetic import add_demo_responses
from sipas.services.units.lookup import unit_by_code
from sipas.services.units.tree import subtree_ids
from sipas.services.waves.design import valid_counts
from sipas.stats.indices import Options
from tests.factories import demo_target, make_response, make_unit

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
UUID_LINK = re.compile(r"/admin/responses/([0-9a-f-]{36})")


def post(client, path, data=None):
    csrf = TOKEN.search(client.get("/admin/").get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": csrf, **(data or {})})


def listed(client, query: str = "") -> list[str]:
    html = client.get(f"/admin/responses{query}").get_data(as_text=True)
    return list(dict.fromkeys(UUID_LINK.findall(html)))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


def _stored():
    """Four responses: two in Hạ Long (web, kiosk), one in Cẩm Phả (paper, older)
    and one in Hạ Long flagged."""
    web = make_response("QN-HALONG-TT", channel=Channel.web).response
    kiosk = make_response("QN-HALONG-TT", channel=Channel.kiosk).response
    paper = make_response("QN-CAMPHA-TT", channel=Channel.paper).response
    paper.submitted_at = datetime(2026, 2, 10, 9, 30, tzinfo=UTC)
    flagged = make_response("QN-HALONG-TT", channel=Channel.web).response
    flagged.status = ResponseStatus.flagged
    flagged.status_reason = "speeding"
    db.session.commit()
    return web, kiosk, paper, flagged


def test_filters_narrow_the_list_newest_first(demo_client, login_as):
    web, kiosk, paper, flagged = _stored()
    login_as(demo_client, Role.admin)
    assert listed(demo_client) == [str(r.uuid) for r in (flagged, kiosk, web, paper)]
    assert listed(demo_client, "?channel=kiosk") == [str(kiosk.uuid)]
    assert listed(demo_client, "?unit=QN-HALONG") == [
        str(r.uuid) for r in (flagged, kiosk, web)
    ]
    assert len(listed(demo_client, "?unit=QN&wave=demo")) == 4
    assert listed(demo_client, "?status=flagged") == [str(flagged.uuid)]
    assert listed(demo_client, "?date_from=2026-02-01&date_to=2026-02-10") == [
        str(paper.uuid)
    ]
    assert str(paper.uuid) not in listed(demo_client, "?date_from=2026-02-11")


def test_the_list_is_paginated(demo_client, login_as):
    wave, _unit = demo_target()
    add_demo_responses(wave, 55)
    db.session.commit()
    login_as(demo_client, Role.admin)
    first, second = listed(demo_client), listed(demo_client, "?page=2")
    assert len(first) == 50
    assert len(second) == 5
    assert not set(first) & set(second)


def test_an_analyst_sees_only_the_scope(demo_client, login_as):
    web, kiosk, paper, flagged = _stored()
    commune = unit_by_code("QN-CAMPHA")
    login_as(demo_client, Role.analyst, unit=commune)
    assert listed(demo_client) == [str(paper.uuid)]
    assert listed(demo_client, "?unit=QN-HALONG-TT") == [str(paper.uuid)]
    assert demo_client.get(f"/admin/responses/{paper.uuid}").status_code == 200
    assert demo_client.get(f"/admin/responses/{web.uuid}").status_code == 403


def test_an_analyst_of_another_province_sees_none(demo_client, login_as):
    web, kiosk, paper, flagged = _stored()
    other = make_unit("HN", level=UnitLevel.province)
    db.session.commit()
    login_as(demo_client, Role.analyst, unit=other)
    assert listed(demo_client) == []
    assert listed(demo_client, "?unit=QN") == []
    for response in (web, paper, flagged):
        page = demo_client.get(f"/admin/responses/{response.uuid}")
        assert page.status_code == 403
    assert demo_client.get("/admin/responses/not-a-uuid").status_code == 404


def test_one_response_in_full_in_the_page_language(demo_client, login_as):
    web, *_others = _stored()
    login_as(demo_client, Role.admin)
    url = f"/admin/responses/{web.uuid}"
    html = demo_client.get(url).get_data(as_text=True)
    assert "Giới tính" in html  # question label
    assert "Nam" in html  # the chosen option's label, not its code
    assert "QN-HALONG-TT" in html
    demo_client.get("/lang/en")
    refresh()  # the tests' shared app context keeps the locale of the first request
    html = demo_client.get(url).get_data(as_text=True)
    assert "Sex" in html
    assert "Male" in html
    assert "Giới tính" not in html


def _statistics(wave) -> tuple[int, int]:
    """(counted responses of the wave, rows the indices are computed on)."""
    counted = sum(valid_counts(wave).values())
    return counted, wave_analysis(wave, Options()).n_rows


def test_void_and_restore_need_a_reason_and_move_the_statistics(demo_client, login_as):
    web, kiosk, paper, flagged = _stored()
    wave = web.wave
    admin = login_as(demo_client, Role.admin)
    assert _statistics(wave) == (3, 3)
    url = f"/admin/responses/{web.uuid}"
    assert post(demo_client, f"{url}/void", {"reason": " "}).status_code == 400
    db.session.refresh(web)
    assert web.status is ResponseStatus.complete
    response = post(demo_client, f"{url}/void", {"reason": "Phiếu trùng lặp"})
    assert response.status_code == 302
    db.session.refresh(web)
    assert web.status is ResponseStatus.void
    assert web.status_reason == "Phiếu trùng lặp"
    assert _statistics(wave) == (2, 2)
    assert db.session.get(Response, web.id) is not None  # never deleted
    (event,) = events("response.void")
    assert event.user_id == admin.id
    assert event.details == {
        "from": "complete",
        "to": "void",
        "reason": "Phiếu trùng lặp",
    }
    assert post(demo_client, f"{url}/accept", {"reason": "x"}).status_code == 302
    db.session.refresh(web)
    assert web.status is ResponseStatus.void  # accept applies to flagged only
    response = post(demo_client, f"{url}/restore", {"reason": "Nhầm lẫn"})
    assert response.status_code == 302
    db.session.refresh(web)
    assert web.status is ResponseStatus.complete
    assert _statistics(wave) == (3, 3)
    assert events("response.restore")[0].details["reason"] == "Nhầm lẫn"


def test_flagged_responses_are_reviewed(demo_client, login_as):
    web, kiosk, paper, flagged = _stored()
    second = make_response("QN-CAMPHA-TT").response
    second.status = ResponseStatus.flagged
    db.session.commit()
    login_as(demo_client, Role.admin)
    html = demo_client.get("/admin/").get_data(as_text=True)
    assert "/admin/responses?status=flagged" in html
    assert re.search(r"status=flagged\">[^<]*: 2<", html)
    review = demo_client.get("/admin/responses?status=flagged").get_data(as_text=True)
    assert f"/admin/responses/{flagged.uuid}/accept" in review
    assert f"/admin/responses/{flagged.uuid}/void" in review
    back = "/admin/responses?status=flagged"
    url = f"/admin/responses/{flagged.uuid}/accept"
    response = post(demo_client, url, {"reason": "Đã kiểm tra", "next": back})
    assert response.status_code == 302
    assert response.location.endswith(back)
    url = f"/admin/responses/{second.uuid}/void"
    assert post(demo_client, url, {"reason": "Spam", "next": back}).status_code == 302
    db.session.refresh(flagged)
    db.session.refresh(second)
    assert flagged.status is ResponseStatus.complete
    assert second.status is ResponseStatus.void
    assert listed(demo_client, "?status=flagged") == []
    assert len(events("response.accept")) == 1


@pytest.mark.parametrize("action", ["void", "restore", "accept"])
def test_an_analyst_gets_403_on_every_post(demo_client, login_as, action):
    web, kiosk, paper, flagged = _stored()
    login_as(demo_client, Role.analyst)
    for response in (web, flagged):
        url = f"/admin/responses/{response.uuid}/{action}"
        assert post(demo_client, url, {"reason": "x"}).status_code == 403
    db.session.refresh(web)
    db.session.refresh(flagged)
    assert web.status is ResponseStatus.complete
    assert flagged.status is ResponseStatus.flagged
    assert not db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("response.%"))
    ).all()


QUICK_STRAIGHT = rules.signal_mask([rules.STRAIGHT_LINING, rules.TOO_FAST])


def _flagged(unit_code: str, signals: int = QUICK_STRAIGHT) -> Response:
    """A response excluded by the quality rules (as if recorded with ``signals``)."""
    response = make_response(unit_code).response
    response.status = ResponseStatus.flagged
    response.status_reason = ",".join(rules.signal_codes(signals))
    response.quality_signals = signals
    return response


def _review_set():
    """Three flagged in Hạ Long (two quick straight-liners, one far too fast), one
    in Cẩm Phả, and one counted but marked in Hạ Long."""
    far = rules.signal_mask([rules.TOO_FAST, rules.FAR_TOO_FAST])
    halong = [
        _flagged("QN-HALONG-TT"),
        _flagged("QN-HALONG-TT"),
        _flagged("QN-HALONG-TT", far),
    ]
    campha = _flagged("QN-CAMPHA-TT")
    marked = make_response("QN-HALONG-TT").response
    marked.quality_signals = rules.signal_mask([rules.STRAIGHT_LINING])
    db.session.commit()
    return halong, campha, marked


def _counted_on_the_dashboard(client) -> str:
    html = client.get("/admin/results/demo").get_data(as_text=True)
    return re.search(r"(\d+) phiếu trả lời từ", html).group(1)


def test_the_list_filters_by_quality_signal(demo_client, login_as):
    halong, campha, marked = _review_set()
    login_as(demo_client, Role.admin)
    straight = listed(demo_client, "?signal=straight_lining")
    assert set(straight) == {str(r.uuid) for r in (*halong[:2], campha, marked)}
    assert listed(demo_client, "?signal=far_too_fast") == [str(halong[2].uuid)]
    # counted but marked for review
    assert listed(demo_client, "?status=complete&signal=any") == [str(marked.uuid)]
    html = demo_client.get(f"/admin/responses/{marked.uuid}").get_data(as_text=True)
    assert "Cùng một mức đánh giá cho mọi tiêu chí" in html


def test_flagged_responses_are_accepted_in_bulk_with_one_reason(demo_client, login_as):
    halong, campha, marked = _review_set()
    login_as(demo_client, Role.admin)
    assert _counted_on_the_dashboard(demo_client) == "1"
    scope = {"scope": "filter", "unit": "QN-HALONG", "signal": "straight_lining"}
    confirm = demo_client.get("/admin/responses/accept", query_string=scope)
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert re.search(r'id="accept-count">\s*2 ', page)
    assert 'name="expected" type="hidden" value="2"' in page
    response = post(
        demo_client,
        "/admin/responses/accept",
        {**scope, "reason": "Người dân hài lòng thật", "expected": "2"},
    )
    assert response.status_code == 302
    assert "status=flagged" in response.location
    for item in (*halong, campha):
        db.session.refresh(item)
    assert [r.status for r in halong] == [
        ResponseStatus.complete,
        ResponseStatus.complete,
        ResponseStatus.flagged,
    ]
    assert halong[0].status_reason == "Người dân hài lòng thật"
    assert halong[0].quality_signals == QUICK_STRAIGHT  # the signals stay
    assert campha.status is ResponseStatus.flagged  # another unit: untouched
    (event,) = events("response.accept_many")
    assert event.details["count"] == 2
    assert event.details["reason"] == "Người dân hài lòng thật"
    assert event.details["filters"]["signal"] == "straight_lining"
    # the results page counts them at once (its cache follows the data)
    assert _counted_on_the_dashboard(demo_client) == "3"


def test_the_checked_responses_are_accepted_in_bulk(demo_client, login_as):
    halong, campha, marked = _review_set()
    login_as(demo_client, Role.admin)
    chosen = [str(halong[0].uuid), str(campha.uuid)]
    data = {"scope": "checked", "response": chosen}
    page = demo_client.get("/admin/responses/accept", query_string=data)
    assert re.search(r'id="accept-count">\s*2 ', page.get_data(as_text=True))
    data.update(reason="Đã gọi điện xác minh", expected="2")
    assert post(demo_client, "/admin/responses/accept", data).status_code == 302
    statuses = {}
    for item in (*halong, campha):
        db.session.refresh(item)
        statuses[str(item.uuid)] = item.status
    assert {u for u, s in statuses.items() if s is ResponseStatus.complete} == set(
        chosen
    )
    assert events("response.accept_many")[0].details["responses"] == chosen


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"reason": "", "expected": "3"}, 400),  # no reason
        ({"reason": "Đã xem", "expected": "2"}, 409),  # not what was confirmed
    ],
)
def test_a_bulk_accept_needs_a_reason_and_the_confirmed_count(
    demo_client, login_as, data, status
):
    halong, campha, marked = _review_set()
    login_as(demo_client, Role.admin)
    scope = {"scope": "filter", "unit": "QN-HALONG"}
    response = post(demo_client, "/admin/responses/accept", {**scope, **data})
    assert response.status_code == status
    if status == 409:  # the page shows the number as it is now
        html = response.get_data(as_text=True)
        assert 'name="expected" type="hidden" value="3"' in html
    assert listed(demo_client, "?status=flagged&unit=QN-HALONG") != []
    for item in halong:
        db.session.refresh(item)
        assert item.status is ResponseStatus.flagged
    assert events("response.accept_many") == []


def test_a_bulk_accept_without_the_csrf_token_is_refused(demo_client, login_as):
    halong, campha, marked = _review_set()
    login_as(demo_client, Role.admin)
    data = {"scope": "filter", "reason": "Đã xem", "expected": "4"}
    assert demo_client.post("/admin/responses/accept", data=data).status_code == 400
    db.session.refresh(campha)
    assert campha.status is ResponseStatus.flagged
    assert events("response.accept_many") == []


def test_an_analyst_cannot_accept_in_bulk_within_or_outside_the_scope(
    demo_client, login_as
):
    halong, campha, marked = _review_set()
    commune = unit_by_code("QN-CAMPHA")
    login_as(demo_client, Role.analyst, unit=commune)
    page = demo_client.get("/admin/responses?status=flagged").get_data(as_text=True)
    assert "/admin/responses/accept" not in page
    for unit_code, expected in (("QN-HALONG", "3"), ("QN-CAMPHA", "1")):
        data = {
            "scope": "filter",
            "unit": unit_code,
            "reason": "x",
            "expected": expected,
        }
        assert post(demo_client, "/admin/responses/accept", data).status_code == 403
        query = {"scope": "filter", "unit": unit_code}
        confirm = demo_client.get("/admin/responses/accept", query_string=query)
        assert confirm.status_code == 403
    for item in (*halong, campha):
        db.session.refresh(item)
        assert item.status is ResponseStatus.flagged
    assert events("response.accept_many") == []


def test_a_bulk_accept_never_reaches_outside_the_readers_units(demo_app):
    """The service takes the scope: a filter naming another unit changes nothing."""
    halong, campha, marked = _review_set()
    campha_only = subtree_ids(campha.unit.parent_id)
    halong_filter = ResponseFilters(unit_id=halong[0].unit_id)
    assert response_admin.count_acceptable(halong_filter, campha_only) == 0
    with pytest.raises(response_admin.SelectionChanged):
        response_admin.accept_many(
            halong_filter, campha_only, None, "x", None, expected=3
        )
    changed = response_admin.accept_many(
        ResponseFilters(), campha_only, None, "Đã xem", None, expected=1
    )
    assert changed == 1
    db.session.refresh(halong[0])
    assert halong[0].status is ResponseStatus.flagged


@pytest.mark.sqlite_only
@pytest.mark.parametrize("signal", ["any", "straight_lining"])
def test_a_signal_filter_reads_the_signalled_responses_index(demo_app, signal):
    # a signal's bit alone does not tell the database that the partial index
    # holds the response: it would read every response of the round instead
    wave, _unit = demo_target()
    filters = ResponseFilters(
        wave_id=wave.id, status=ResponseStatus.complete, signal=signal
    )
    query = sa.select(Response.id).where(*response_admin._conditions(filters, None))
    sent = []

    def keep(_connection, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    # the statement and parameters the database really gets, explained
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        db.session.execute(query).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    statement, parameters = sent[-1]
    connection = db.session.connection()
    plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    assert any("ix_responses_signalled" in row[-1] for row in plan), statement


def test_statuses_change_together_each_audited_or_none_changes(demo_app):
    web, kiosk, _paper, flagged = _stored()
    with pytest.raises(response_admin.StatusChangeRefused):
        # the last cannot be restored: it is not void, so nothing is voided either
        response_admin.change_statuses(
            [(web, "Phiếu thử"), (kiosk, "Phiếu trùng")], "restore", None
        )
    assert (web.status, kiosk.status) == (ResponseStatus.complete,) * 2
    with pytest.raises(response_admin.StatusChangeRefused):
        response_admin.change_statuses([(web, "Phiếu thử"), (kiosk, " ")], "void", None)
    assert web.status is ResponseStatus.complete
    response_admin.change_statuses(
        [(web, "Phiếu thử"), (flagged, "Phiếu trùng")], "void", None
    )
    db.session.commit()
    assert db.session.get(Response, web.id).status is ResponseStatus.void
    audited = {event.object_id: event.details for event in events("response.void")}
    assert audited == {
        str(web.uuid): {"from": "complete", "to": "void", "reason": "Phiếu thử"},
        str(flagged.uuid): {"from": "flagged", "to": "void", "reason": "Phiếu trùng"},
    }
