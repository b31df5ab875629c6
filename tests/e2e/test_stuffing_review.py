"""Stuffed numbers on the results page (issue 18 items 1 and 2), in a real
browser: a copied kiosk token replays 200 backdated responses through /api/sync,
a phone stuffs identical forms through the /s/ steps from one address; both are
flagged, never counted, and the quality section says how many per unit and rule."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from sipas.extensions import db
from sipas.services import synthetic
from sipas.services.responses import devices
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from tests.api.test_sync import backdated_replay
from tests.conftest import SurveyPage
from tests.e2e.conftest import admin_window, assert_accessible, demo_app, serving
from tests.survey.test_phone import walk_to_end
from tests.survey.test_phone_sources import _open_for_ten_minutes

pytestmark = pytest.mark.e2e

KIOSK_UNIT, PHONE_UNIT = "QN-CAMPHA-TT", "QN-HALONG-TT"
#: identical phone forms from one address: the burst allows QUALITY_SOURCE_BURST
PHONE_FORMS = 13


def _stuff_phone(app) -> None:
    """Identical forms from one address, each open ten minutes (a person's pace)."""
    from sipas.services.questionnaires import parsed

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    with app.app_context():
        questionnaire = parsed(wave_by_code("demo").questionnaire)
        for _ in range(PHONE_FORMS):
            walk_to_end(
                client,
                lambda response: SurveyPage(response.get_data(as_text=True)),
                questionnaire,
                seen=lambda _page: _open_for_ten_minutes(),
                url=f"/s/{PHONE_UNIT}",
            )


@pytest.fixture(scope="module")
def stuffed_server(tmp_path_factory):
    """The demo round with 300 ordinary responses, a kiosk of Cẩm Phả enrolled
    the day before (its token), and a phone burst at Hạ Long."""
    app = demo_app(tmp_path_factory.mktemp("stuffing"))
    with app.app_context():
        synthetic.add_demo_responses(wave_by_code("demo"), 300, seed=13)
        device, token = devices.create_device(unit_by_code(KIOSK_UNIT), "Quầy 2", None)
        device.created_at = datetime.now(UTC) - timedelta(days=1)
        db.session.commit()
    _stuff_phone(app)
    with serving(app) as (url, served):
        yield url, served, token


def test_stuffed_responses_are_flagged_and_counted_per_unit_and_rule(
    stuffed_server, browser, output_dir
):
    url, app, token = stuffed_server
    context, page = admin_window(browser, url, app, 1366, 768)
    with app.app_context():
        replay = backdated_replay(200, unit_code=KIOSK_UNIT)
    answer = page.request.post(
        f"{url}/api/sync",
        data=json.dumps({"responses": replay}),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    )
    assert answer.ok
    assert len(answer.json()["acknowledged"]) == 200

    page.goto(f"{url}/admin/results/demo")
    units = page.locator("table.quality-units tbody tr")
    with app.app_context():
        campha, halong = (unit_by_code(c).name for c in (KIOSK_UNIT, PHONE_UNIT))
    kiosk_row = units.filter(has_text=campha).locator("td").all_inner_texts()
    assert kiosk_row[:2] == ["200", "0"]
    assert "Không có thời điểm bắt đầu từ ki-ốt: 200" in kiosk_row[2]
    phone_row = units.filter(has_text=halong).locator("td").all_inner_texts()
    burst = PHONE_FORMS
    assert int(phone_row[0]) >= burst  # the burst, and any synthetic ones
    assert f"Nhiều phiếu dồn dập từ một địa chỉ mạng: {burst}" in phone_row[2]
    assert units.first.inner_text().startswith(campha)  # most excluded first
    assert_accessible(page)
    section = page.locator("section.quality-rules")
    for width, height in ((1366, 768), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        section.screenshot(path=str(output_dir / f"quality-per-unit-{width}.png"))
        page.screenshot(
            path=str(output_dir / f"quality-per-unit-page-{width}.png"), full_page=True
        )

    # a count leads to that unit's excluded responses
    page.set_viewport_size({"width": 1366, "height": 768})
    units.filter(has_text=campha).get_by_role("link", name="200").click()
    page.wait_for_url(re.compile(rf".*unit={KIOSK_UNIT}.*status=flagged.*"))
    context.close()
