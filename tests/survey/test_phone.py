"""The phone questionnaire via the test client: steps, drafts, idempotency, errors."""

from __future__ import annotations

import unicodedata

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Response, ResponseDraft
from tests.factories import section_answers

UNIT = "QN-HALONG-TT"
URL = f"/s/{UNIT}"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def walk_to_end(
    client,
    survey_page,
    questionnaire,
    *,
    gave_feedback=True,
    overrides=None,
    seen=None,
    url=URL,
):
    """Answer every step with valid answers (``seen(page)`` called on each); return
    the final POST response and page."""
    page = survey_page(client.get(url))
    while True:
        if seen is not None:
            seen(page)
        answers = section_answers(
            questionnaire, page.section, gave_feedback=gave_feedback
        )
        answers.update((overrides or {}).get(page.section, {}))
        posted = client.post(url, data=page.post_data(answers))
        assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
        if "/thanks/" in posted.location:
            return posted, page
        page = survey_page(client.get(posted.location))


def test_first_step_is_in_vietnamese_with_progress(demo_client, survey_page):
    response = demo_client.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'lang="vi"' in html
    assert "Trung tâm Phục vụ hành chính công phường Hạ Long" in html
    assert "Bước 1/" in html or "Bước 1 " in html
    assert survey_page(response).section


def test_whole_questionnaire_stores_one_response_and_shows_receipt(
    demo_client, survey_page, questionnaire
):
    posted, _page = walk_to_end(demo_client, survey_page, questionnaire)
    thanks = demo_client.get(posted.location)
    html = thanks.get_data(as_text=True)
    assert thanks.status_code == 200
    assert "Cảm ơn" in html
    response = db.session.scalar(sa.select(Response))
    assert count(Response) == 1
    assert count(ResponseDraft) == 0
    codes = {a.item_code for a in response.answers}
    assert {item.code for item in questionnaire.criteria} <= codes
    assert response.duration_seconds is not None


def test_resubmitting_the_last_step_stores_nothing_new(
    demo_client, survey_page, questionnaire
):
    posted, last_page = walk_to_end(demo_client, survey_page, questionnaire)
    answers = section_answers(questionnaire, last_page.section)
    again = demo_client.post(URL, data=last_page.post_data(answers))
    assert again.status_code == 302
    assert again.location == posted.location
    assert count(Response) == 1


def test_filter_no_skips_factor_e(demo_client, survey_page, questionnaire):
    walk_to_end(demo_client, survey_page, questionnaire, gave_feedback=False)
    codes = set(db.session.scalars(sa.select(Answer.item_code)))
    assert "E_filter" in codes
    assert not codes & {"E1", "E2", "E3", "E4"}


def test_whoever_has_not_received_the_result_is_not_asked_about_it(
    demo_client, survey_page, questionnaire
):
    """Version 2: "Chưa nhận kết quả" skips the results step (D1–D3)."""
    overrides = {"procedure": {"on_time": "not_received"}}
    sections = []
    page = survey_page(demo_client.get(URL))
    while True:
        sections.append(page.section)
        answers = section_answers(questionnaire, page.section)
        answers.update(overrides.get(page.section, {}))
        posted = demo_client.post(URL, data=page.post_data(answers))
        assert posted.status_code == 302
        if "/thanks/" in posted.location:
            break
        page = survey_page(demo_client.get(posted.location))
    assert "results" not in sections
    assert "access" in sections
    codes = set(db.session.scalars(sa.select(Answer.item_code)))
    assert not codes & {"D1", "D2", "D3", "apology"}
    assert (
        db.session.scalar(sa.select(Answer.value).where(Answer.item_code == "on_time"))
        == "not_received"
    )


def test_answers_to_a_filtered_out_question_are_dropped(
    demo_client, survey_page, questionnaire
):
    feedback_section = questionnaire.item("E1")
    section_code = next(
        s.code for s in questionnaire.sections if feedback_section in s.items
    )
    overrides = {section_code: {"E_filter": "no", "E1": "5", "E2": "1"}}
    walk_to_end(demo_client, survey_page, questionnaire, overrides=overrides)
    codes = set(db.session.scalars(sa.select(Answer.item_code)))
    assert not codes & {"E1", "E2"}


def test_draft_survives_reload_and_back(demo_client, survey_page, questionnaire):
    first = survey_page(demo_client.get(URL))
    answers = section_answers(questionnaire, first.section)
    demo_client.post(URL, data=first.post_data(answers))
    reloaded = survey_page(demo_client.get(URL))
    assert reloaded.section != first.section
    assert reloaded.form_id == first.form_id
    back = demo_client.post(URL, data=reloaded.post_data({}, move="back"))
    assert back.status_code == 302
    earlier = survey_page(demo_client.get(back.location))
    assert earlier.section == first.section
    some_code, some_value = next(
        (k, v) for k, v in answers.items() if isinstance(v, str)
    )
    assert f'name="{some_code}"\n' in earlier.html or (
        f'name="{some_code}"' in earlier.html
        and f'value="{some_value}" checked' in earlier.html
    )


@pytest.mark.parametrize("unit_code", ["NO-SUCH-UNIT", "QN"])
def test_unknown_unit_or_no_open_wave_gets_friendly_404(demo_client, unit_code):
    response = demo_client.get(f"/s/{unit_code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in html
    assert "không có đợt khảo sát nào đang mở" in html  # why, for a citizen
    assert "Traceback" not in html


def test_a_back_office_404_does_not_speak_of_surveys(demo_client, login_as):
    """An administrator's missing page is not blamed on a survey not open."""
    from sipas.models import Role

    login_as(demo_client, Role.admin)
    html = demo_client.get("/admin/jobs/9999").get_data(as_text=True)
    assert "Không tìm thấy trang" in html
    assert "đợt khảo sát" not in html.split("<main", 1)[1]
    assert "không còn nữa" in html


def first_step_with(client, survey_page, questionnaire, predicate):
    """Walk valid steps until a section contains an item matching ``predicate``."""
    page = survey_page(client.get(URL))
    while not any(
        predicate(item)
        for item in questionnaire.sections[
            questionnaire.section_index(page.section)
        ].items
    ):
        answers = section_answers(questionnaire, page.section)
        page = survey_page(
            client.get(client.post(URL, data=page.post_data(answers)).location)
        )
    return page


def assert_rejected(client, page, answers, message):
    before = (count(Response), count(Answer))
    response = client.post(URL, data=page.post_data(answers))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert (count(Response), count(Answer)) == before
    return html


def test_answer_code_not_in_choice_list(demo_client, survey_page, questionnaire):
    page = survey_page(demo_client.get(URL))
    answers = section_answers(questionnaire, page.section)
    code = next(k for k in answers if isinstance(answers[k], str))
    answers[code] = "zz"
    html = assert_rejected(
        demo_client, page, answers, "Vui lòng chọn một trong các phương án"
    )
    assert f'id="q-{code}"' in html


def test_missing_required_answer(demo_client, survey_page, questionnaire):
    page = survey_page(demo_client.get(URL))
    answers = section_answers(questionnaire, page.section)
    section = questionnaire.sections[questionnaire.section_index(page.section)]
    required = next(item.code for item in section.items if item.required)
    del answers[required]
    html = assert_rejected(demo_client, page, answers, "Vui lòng trả lời câu hỏi này.")
    assert f'href="#q-{required}"' in html


def test_unknown_item(demo_client, survey_page, questionnaire):
    page = survey_page(demo_client.get(URL))
    answers = section_answers(questionnaire, page.section)
    answers["Z99"] = "1"
    assert_rejected(demo_client, page, answers, "Z99")


def test_too_many_choices(demo_client, survey_page, questionnaire):
    page = first_step_with(
        demo_client, survey_page, questionnaire, lambda item: item.max_choices
    )
    item = questionnaire.item("expectations")
    answers = section_answers(questionnaire, page.section)
    answers["expectations"] = [c.code for c in item.choices[: item.max_choices + 1]]
    assert_rejected(demo_client, page, answers, "Vui lòng chọn tối đa")


def test_over_long_comment(demo_client, survey_page, questionnaire):
    page = first_step_with(
        demo_client, survey_page, questionnaire, lambda item: item.code == "comment"
    )
    limit = questionnaire.item("comment").max_length
    answers = section_answers(questionnaire, page.section)
    answers["comment"] = "ý" * (limit + 1)
    assert_rejected(demo_client, page, answers, "Vui lòng rút gọn")


def test_comment_is_stored_in_nfc(demo_client, survey_page, questionnaire):
    decomposed = unicodedata.normalize("NFD", "Thủ tục nhanh, cán bộ hoà nhã")
    section_code = next(
        s.code
        for s in questionnaire.sections
        if questionnaire.item("comment") in s.items
    )
    walk_to_end(
        demo_client,
        survey_page,
        questionnaire,
        overrides={section_code: {"comment": decomposed}},
    )
    stored = db.session.scalar(sa.select(Answer.value).filter_by(item_code="comment"))
    assert stored == unicodedata.normalize("NFC", decomposed)
    assert stored != decomposed


def test_missing_csrf_token_explains_and_keeps_answers(
    demo_client, survey_page, questionnaire
):
    page = survey_page(demo_client.get(URL))
    answers = section_answers(questionnaire, page.section)
    data = page.post_data(answers)
    data["csrf_token"] = "stale"
    response = demo_client.post(URL, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "đã hết hạn" in html
    code, value = next((k, v) for k, v in answers.items() if isinstance(v, str))
    assert f'name="{code}"' in html
    assert f'value="{value}" checked' in html
    assert count(ResponseDraft) == 0


def test_language_switch_persists(demo_client):
    switched = demo_client.get(f"/lang/en?next={URL}")
    assert switched.status_code == 302
    assert switched.location.endswith(URL)
    html = demo_client.get(URL).get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Step 1 of" in html
    html = demo_client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html


def test_language_button_keeps_the_typed_answers_of_the_step(
    demo_client, survey_page, questionnaire
):
    first = survey_page(demo_client.get(URL))
    required = [item.code for item in questionnaire.sections[0].items if item.required]
    partial = {required[0]: section_answers(questionnaire, first.section)[required[0]]}
    data = first.post_data(partial)
    del data["move"]  # the language button is what was pressed
    switched = demo_client.post(URL, data={**data, "language": "en"})
    # not refused for the unanswered required questions: the same step, in English
    assert switched.status_code == 302
    assert f"step={first.section}" in switched.location
    assert "sipas_lang=en" in switched.headers["Set-Cookie"]
    page = survey_page(demo_client.get(switched.location))
    assert page.section == first.section
    assert 'lang="en"' in page.html
    assert f'value="{partial[required[0]]}" checked' in page.html
    assert page.html.count(" checked") == 1
    draft = db.session.get(ResponseDraft, first.form_id)
    assert draft.answers[required[0]] == partial[required[0]]
    assert draft.language == "en"
    assert count(Response) == 0


def test_language_button_on_a_wrong_answer_shows_it_in_the_new_language(
    demo_client, survey_page, questionnaire
):
    page = first_step_with(
        demo_client, survey_page, questionnaire, lambda item: item.max_choices
    )
    item = questionnaire.item("expectations")
    data = page.post_data(
        {"expectations": [c.code for c in item.choices[: item.max_choices + 1]]}
    )
    del data["move"]
    response = demo_client.post(URL, data={**data, "language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'lang="en"' in html
    assert "Please choose at most 3 options." in html
    assert "sipas_lang=en" in response.headers["Set-Cookie"]


def test_full_title_heads_the_first_step_only(demo_client, survey_page, questionnaire):
    title = questionnaire.title.get_text("vi")
    first = survey_page(demo_client.get(URL))
    assert title in first.html
    answers = section_answers(questionnaire, first.section)
    second = demo_client.get(
        demo_client.post(URL, data=first.post_data(answers)).location
    )
    html = second.get_data(as_text=True)
    assert title not in html
    assert "Khảo sát sự hài lòng của người dân" in html  # the short reminder
    assert "Trung tâm Phục vụ hành chính công phường Hạ Long" in html
    assert "Bước 2/" in html


def test_language_switch_refuses_other_sites(demo_client):
    switched = demo_client.get("/lang/en?next=https://example.org/")
    assert switched.location == "/"


def test_landing_page_links_units_with_open_wave(demo_client):
    html = demo_client.get("/").get_data(as_text=True)
    assert f'href="{URL}"' in html
    assert 'href="/s/QN"' not in html  # the province itself collects nothing
    # the provincial centre comes before the commune centres
    assert html.index('href="/s/QN-TTHCC"') < html.index('href="/s/QN-CAMPHA-TT"')


def test_thanks_page_of_unknown_form_is_404(demo_client):
    response = demo_client.get(f"{URL}/thanks/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


def test_posting_a_later_step_first_sends_back_and_stores_nothing(
    demo_client, survey_page, questionnaire
):
    page = survey_page(demo_client.get(URL))
    last = questionnaire.sections[-1].code
    data = page.post_data(section_answers(questionnaire, last))
    data["section"] = last
    response = demo_client.post(URL, data=data)
    assert response.status_code == 302
    assert f"step={questionnaire.sections[0].code}" in response.location
    assert count(Response) == 0
