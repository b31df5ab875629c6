"""Personal data in comments: masked on every page and in every file, the original
shown to an administrator only on request (audited), erased once a wave's retention
period has passed."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import (
    Answer,
    AuditEvent,
    PaperEntry,
    Response,
    ResponseStatus,
    Role,
    Wave,
    WaveStatus,
)
from sipas.services.questionnaires import parsed
from sipas.services.responses import privacy
from sipas.services.results import exports
from sipas.services.waves.admin import change_status
from sipas.services.waves.lookup import wave_by_code
from tests.conftest import CSRF_PATTERN
from tests.entry_helpers import issue, typed_form
from tests.factories import demo_target, make_response, valid_answers

COMMENT = (
    "Cán bộ tốt. Gọi tôi 0912 345 678 hoặc thư nguyenvana@gmail.com, CCCD 001234567890."
)
MASKED = (
    "Cán bộ tốt. Gọi tôi 09•• ••• •78 hoặc thư n•••••••••@gmail.com, CCCD ••••••••••90."
)
SECRETS = ("345 678", "nguyenvana@", "001234567890")


def _answers(comment: str = COMMENT) -> dict[str, object]:
    wave, _unit = demo_target()
    answers = valid_answers(parsed(wave.questionnaire))
    answers["comment"] = comment
    return answers


@pytest.fixture
def commented(demo_app) -> Response:
    """A counted response of the demo wave whose comment holds personal data."""
    response = make_response(answers=_answers()).response
    response.status = ResponseStatus.complete
    db.session.commit()
    return response


def _stored_comment(response: Response) -> str:
    return db.session.scalar(
        sa.select(Answer.value).filter_by(response_id=response.id, item_code="comment")
    )


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


def _token(page: str) -> str:
    return CSRF_PATTERN.search(page).group(1)


def _shows_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


# --- pages -----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.admin, Role.analyst])
def test_response_page_masks_the_comment(commented, demo_client, login_as, role):
    login_as(demo_client, role)
    page = demo_client.get(f"/admin/responses/{commented.uuid}").get_data(as_text=True)
    assert MASKED in page
    _shows_no_secret(page)
    assert ("Show the original" in page or "Hiện văn bản gốc" in page) is (
        role is Role.admin
    )
    assert _stored_comment(commented) == COMMENT


def test_an_admin_sees_the_original_on_request_and_it_is_audited(
    commented, demo_client, login_as
):
    admin = login_as(demo_client, Role.admin)
    url = f"/admin/responses/{commented.uuid}"
    token = _token(demo_client.get(url).get_data(as_text=True))
    shown = demo_client.post(f"{url}/original", data={"csrf_token": token})
    assert shown.status_code == 200
    assert COMMENT in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    [event] = _events("response.show_original")
    assert event.user_id == admin.id
    assert event.object_id == str(commented.uuid)
    # asking needs the form's token; the plain page stays masked
    assert demo_client.post(f"{url}/original").status_code == 400
    assert len(_events("response.show_original")) == 1
    _shows_no_secret(demo_client.get(url).get_data(as_text=True))


def test_an_analyst_never_sees_the_original(commented, demo_client, login_as):
    login_as(demo_client, Role.analyst)
    url = f"/admin/responses/{commented.uuid}"
    token = _token(demo_client.get("/auth/login").get_data(as_text=True))
    refused = demo_client.post(f"{url}/original", data={"csrf_token": token})
    assert refused.status_code == 403
    assert _events("response.show_original") == []


def test_a_comment_without_personal_data_has_no_notice(demo_app, demo_client, login_as):
    response = make_response(answers=_answers("Năm 2024 nộp 500.000 đồng, câu 12."))
    db.session.commit()
    login_as(demo_client, Role.admin)
    page = demo_client.get(f"/admin/responses/{response.response.uuid}")
    text = page.get_data(as_text=True)
    assert "Năm 2024 nộp 500.000 đồng, câu 12." in text
    assert "data-personal-data" not in text


def test_the_settle_page_masks_other_surveyors_comments(
    demo_app, demo_client, login_as
):
    from sipas.questionnaire.entry_keys import decode
    from sipas.questionnaire.serials import format_serial
    from sipas.services import accounts
    from sipas.services.paper.entry import NewEntry, save_entry

    wave, unit = demo_target()
    issue(wave, unit, 7)
    questionnaire = parsed(wave.questionnaire)
    for name, comment in (("first", COMMENT), ("second", "Gọi 0987654321")):
        user = accounts.create_user(
            f"{name}-typist", "correct-horse-battery-1", Role.surveyor, unit=unit
        )
        typed = typed_form(wave, comment=comment)
        answers = decode(questionnaire, typed).answers
        save_entry(NewEntry(wave, unit, format_serial(7), answers, user))
    db.session.commit()
    login_as(demo_client, Role.admin)
    page = demo_client.get("/entry/review/demo/7").get_data(as_text=True)
    assert "09••••••21" in page
    assert "n•••••••••@gmail.com" in page
    _shows_no_secret(page)
    assert "0987654321" not in page


# --- files -----------------------------------------------------------------


def _comment_column(rows: list[list[str]]) -> list[str]:
    position = rows[0].index("comment")
    return [row[position] for row in rows[1:]]


def test_csv_download_and_cli_export_are_masked(
    commented, demo_client, login_as, runner, tmp_path
):
    login_as(demo_client, Role.admin)
    data = demo_client.get("/admin/results/demo/download.csv").data.decode("utf-8-sig")
    assert _comment_column(list(csv.reader(io.StringIO(data)))) == [MASKED]
    target = tmp_path / "demo.csv"
    result = runner.invoke(args=["sipas", "export", "demo", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text("utf-8-sig") == data
    _shows_no_secret(data)


def test_xlsx_download_is_masked(commented, demo_client, login_as):
    login_as(demo_client, Role.analyst)
    download = demo_client.get("/admin/results/demo/download.xlsx")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    cells = [str(c) for s in book for row in s.iter_rows(values_only=True) for c in row]
    assert MASKED in cells
    _shows_no_secret(" ".join(cells))


# --- the wave setting ------------------------------------------------------


def _save_design(client, days: str):
    """Post the demo wave's edit form with ``days`` of retention."""
    form = client.get("/admin/waves/demo/edit").get_data(as_text=True)
    return client.post(
        "/admin/waves/demo/edit",
        data={
            "csrf_token": _token(form),
            "psu_level": "",
            "weighting": "unit_population",
            "text_retention_days": days,
        },
    )


def test_a_new_wave_starts_with_the_configured_retention(
    demo_app, demo_client, login_as
):
    demo_app.config["TEXT_RETENTION_DAYS"] = 180
    login_as(demo_client, Role.admin)
    page = demo_client.get("/admin/waves/new").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="text_retention_days"[^>]*>', page)
    assert field is not None
    assert 'value="180"' in field.group(0)


def test_the_wave_form_sets_the_retention_and_the_page_shows_it(
    demo_app, demo_client, login_as
):
    login_as(demo_client, Role.admin)
    saved = _save_design(demo_client, "30")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    wave = wave_by_code("demo")
    assert wave.text_retention_days == 30
    [event] = _events("wave.update")
    assert event.details["text_retention_days"] == {"from": None, "to": 30}
    change_status(wave, WaveStatus.closed, None)
    db.session.commit()
    page = demo_client.get("/admin/waves/demo").get_data(as_text=True)
    due = privacy.erase_after(wave)
    assert due is not None
    assert due.astimezone(UTC) - datetime.now(UTC) > timedelta(days=29)
    retention = re.search(r"<dd data-retention>(.*?)</dd>", page, re.S).group(1)
    assert "30" in retention


def test_negative_retention_is_refused(demo_app, demo_client, login_as):
    login_as(demo_client, Role.admin)
    refused = _save_design(demo_client, "-1")
    assert refused.status_code == 200
    assert db.session.scalar(sa.select(Wave.text_retention_days)) is None


def test_closing_sets_and_reopening_clears_the_close_time(demo_app):
    wave, _unit = demo_target()
    change_status(wave, WaveStatus.closed, None)
    assert wave.closed_at is not None
    change_status(wave, WaveStatus.open, None, "late forms")
    assert wave.closed_at is None


# --- retention ---------------------------------------------------------------


def _closed_long_ago(wave: Wave, days_ago: int, retention: int | None) -> None:
    change_status(wave, WaveStatus.closed, None)
    wave.closed_at = datetime.now(UTC) - timedelta(days=days_ago)
    wave.text_retention_days = retention


@pytest.fixture
def due_wave(commented) -> Wave:
    """The demo wave closed 100 days ago with a 30-day retention, with a comment, a
    paper entry holding personal data, and a comment without any."""
    wave, unit = demo_target()
    make_response(answers=_answers("Không có gì thêm."))
    issue(wave, unit, 9)
    from sipas.models import User

    entry = PaperEntry(
        wave=wave,
        unit=unit,
        serial=9,
        round=1,
        entered_by=db.session.scalar(sa.select(User).limit(1)),
        answers={"comment": COMMENT, "overall": "4"},
    )
    db.session.add(entry)
    _closed_long_ago(wave, 100, 30)
    db.session.commit()
    return wave


def test_dry_run_counts_and_changes_nothing(due_wave, commented, runner):
    before = exports.stats_csv(due_wave)
    result = runner.invoke(args=["sipas", "retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "demo" in result.output
    assert re.search(r"\b1\b.*\b1\b.*\b0\b", result.output.splitlines()[0])
    db.session.expire_all()
    assert _stored_comment(commented) == COMMENT
    assert db.session.scalar(sa.select(Wave.texts_erased_at)) is None
    assert _events("wave.texts_erased") == []
    assert exports.stats_csv(due_wave) == before


def test_retention_erases_the_originals_once(due_wave, commented, runner):
    before = exports.stats_csv(due_wave)
    result = runner.invoke(args=["sipas", "retention"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _stored_comment(commented) == MASKED
    entry = db.session.scalar(sa.select(PaperEntry))
    assert entry.answers == {"comment": MASKED, "overall": "4"}
    assert db.session.scalar(sa.select(Wave.texts_erased_at)) is not None
    [event] = _events("wave.texts_erased")
    assert event.details["answers"] == 1
    assert event.details["paper_entries"] == 1
    # the masked files are unchanged, the untouched comment too
    assert exports.stats_csv(due_wave) == before
    assert "Không có gì thêm." in before
    # idempotent: nothing more to do, nothing more audited
    again = runner.invoke(args=["sipas", "retention"])
    assert again.exit_code == 0
    assert re.search(r"\b0\b.*\b0\b.*\b0\b", again.output)
    assert len(_events("wave.texts_erased")) == 1


@pytest.mark.parametrize(
    ("days_ago", "retention", "still_open"),
    [(10, 30, False), (100, None, False), (0, 0, True)],
)
def test_retention_leaves_waves_not_due_alone(
    commented, runner, days_ago, retention, still_open
):
    wave, _unit = demo_target()
    _closed_long_ago(wave, days_ago, retention)
    if still_open:
        change_status(wave, WaveStatus.open, None, "more responses")
    db.session.commit()
    result = runner.invoke(args=["sipas", "retention"])
    assert result.exit_code == 0
    assert "demo" not in result.output
    db.session.expire_all()
    assert _stored_comment(commented) == COMMENT
    assert _events("wave.texts_erased") == []


def test_the_wave_page_says_when_originals_were_erased(
    due_wave, runner, demo_client, login_as
):
    runner.invoke(args=["sipas", "retention"])
    login_as(demo_client, Role.analyst)
    page = demo_client.get("/admin/waves/demo").get_data(as_text=True)
    retention = re.search(r"<dd data-retention>(.*?)</dd>", page, re.S).group(1)
    erased = db.session.scalar(sa.select(Wave.texts_erased_at))
    erased = erased.replace(tzinfo=erased.tzinfo or UTC)
    day = erased.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")
    assert day in retention
