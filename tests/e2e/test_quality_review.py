"""An administrator in a real browser reviews what the quality rules did: reads the
counts on the results page, follows one to the flagged responses, accepts some
checked ones and then the rest of the filter with one reason, and sees them counted."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from sipas.extensions import db
from sipas.labels import SIGNAL_LABELS
from sipas.models import AuditEvent, Channel, Response, ResponseStatus, Wave
from sipas.services import synthetic
from sipas.services.questionnaires import parsed
from sipas.services.responses import store
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import admin_window, assert_accessible, demo_app, serving
from tests.e2e.test_back_office import vi
from tests.factories import valid_answers

pytestmark = pytest.mark.e2e

#: (unit, seconds, how many): satisfied straight-liners by phone; under 35 s they
#: are also too fast, and so excluded
STRAIGHT_LINERS = (
    ("QN-HALONG-TT", 25, 3),
    ("QN-HALONG-TT", 300, 4),
    ("QN-CAMPHA-TT", 25, 2),
)


def _record_straight_liners(wave: Wave) -> None:
    questionnaire = parsed(wave.questionnaire)
    answers = valid_answers(questionnaire)
    answers.update({item.code: "4" for item in questionnaire.criteria})
    now = datetime.now(UTC)
    for unit_code, seconds, count in STRAIGHT_LINERS:
        unit = unit_by_code(unit_code)
        for _ in range(count):
            submission = store.Submission(
                uuid=uuid.uuid4(),
                wave=wave,
                unit=unit,
                channel=Channel.web,
                started_at=now - timedelta(seconds=seconds),
                submitted_at=now,
            )
            store.record(submission, answers)


@pytest.fixture(scope="module")
def review_server(tmp_path_factory):
    """The demo round with 300 ordinary responses and the straight-liners above."""
    app = demo_app(tmp_path_factory.mktemp("quality-review"))
    with app.app_context():
        wave = wave_by_code("demo")
        synthetic.add_demo_responses(wave, 300, seed=13)
        _record_straight_liners(wave)
        db.session.commit()
    with serving(app) as served:
        yield served


def _counted(page) -> int:
    text = page.locator("section.key-figures h2").inner_text()
    return int(re.search(r"([\d.]+) phiếu trả lời từ", text).group(1).replace(".", ""))


def _quality_row(page, app, code: str) -> list[str]:
    """(excluded, counted but marked) of one rule on the results page."""
    with app.test_request_context(), force_locale("vi"):
        label = str(SIGNAL_LABELS[code])
    row = page.locator(
        "section.quality-rules table:not(.quality-units) tr", has_text=label
    )
    return row.locator("td").all_inner_texts()


def _shoot(page, output_dir, name: str) -> None:
    for width, height in ((1366, 768), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(output_dir / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def test_an_administrator_accepts_flagged_responses_in_bulk(
    review_server, browser, output_dir
):
    url, app = review_server
    context, page = admin_window(browser, url, app, 1366, 768)

    # the results of Hạ Long: 3 quick straight-liners excluded, 4 counted and marked
    page.goto(f"{url}/admin/results/demo?unit=QN-HALONG-TT")
    before = _counted(page)
    assert _quality_row(page, app, "straight_lining") == ["3", "4"]
    assert_accessible(page)
    section = page.locator("section.quality-rules")
    for width, height in ((1366, 768), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        section.screenshot(path=str(output_dir / f"quality-dashboard-{width}.png"))
    page.set_viewport_size({"width": 1366, "height": 768})

    # the excluded count leads to those responses
    section.get_by_role("link", name="3", exact=True).first.click()
    page.wait_for_url(re.compile(r".*status=flagged.*"))
    assert "unit=QN-HALONG-TT" in page.url
    rows = page.locator("table tbody tr")
    assert rows.count() == 3
    assert_accessible(page)
    _shoot(page, output_dir, "quality-flagged-list")

    # two checked, accepted with one reason after the count is confirmed
    rows.nth(0).get_by_role("checkbox").check()
    rows.nth(1).get_by_role("checkbox").check()
    page.get_by_role("button", name=vi(app, "Accept the checked responses…")).click()
    page.wait_for_url(re.compile(r".*/admin/responses/accept\?.*"))
    assert page.locator("#accept-count").inner_text().startswith("2 ")
    assert_accessible(page)
    _shoot(page, output_dir, "quality-accept-confirm")
    page.get_by_label(vi(app, "Reason")).fill(
        "Người dân hài lòng, đã gọi điện xác minh"
    )
    page.get_by_role("button", name="Chấp nhận 2 phiếu").click()
    page.wait_for_url(re.compile(r".*/admin/responses\?.*status=flagged.*"))
    assert "Đã chấp nhận 2 phiếu" in page.inner_text("main")
    assert page.locator("table tbody tr").count() == 1

    # the rest of the filter at once
    page.get_by_role("button", name=re.compile("Chấp nhận tất cả 1 phiếu")).click()
    page.get_by_label(vi(app, "Reason")).fill("Đã xem từng phiếu")
    page.get_by_role("button", name="Chấp nhận 1 phiếu").click()
    page.wait_for_url(re.compile(r".*/admin/responses\?.*status=flagged.*"))
    assert page.locator("table tbody tr").count() == 0

    # counted at once on the results page; the signals stay, now as marks
    page.goto(f"{url}/admin/results/demo?unit=QN-HALONG-TT")
    assert _counted(page) == before + 3
    assert _quality_row(page, app, "straight_lining") == ["0", "7"]
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).filter_by(action="response.accept_many")
        ).all()
        assert [e.details["count"] for e in events] == [2, 1]
        campha = db.session.scalar(
            sa.select(sa.func.count()).where(Response.status == ResponseStatus.flagged)
        )
        assert campha == 2  # Cẩm Phả's were not in the filter
    _shoot(page, output_dir, "quality-dashboard-after")

    # one accepted response keeps its signals and shows the reason
    page.goto(f"{url}/admin/responses?status=complete&signal=too_fast")
    page.locator("table tbody tr th a").first.click()
    details = page.locator("dl.details").inner_text()
    assert "Cùng một mức đánh giá cho mọi tiêu chí + Trả lời quá nhanh" in details
    assert "Người dân hài lòng, đã gọi điện xác minh" in details or (
        "Đã xem từng phiếu" in details
    )
    assert_accessible(page)
    _shoot(page, output_dir, "quality-response")
    context.close()
