"""Responses in the back office: filtered list, one response in full, void, restore
and review of flagged ones, within the reader's scope."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_babel import refresh

from sipas.extensions import db
from sipas.models import (
    AuditEvent,
    Channel,
    Response,
    ResponseStatus,
    Role,
    Unit,
    UnitLevel,
)
from sipas.services.reporting import wave_analysis
from sipas.services.synthetic import add_demo_responses
from sipas.services.wave_design import valid_counts
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
    commune = db.session.scalar(sa.select(Unit).filter_by(code="QN-CAMPHA"))
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
