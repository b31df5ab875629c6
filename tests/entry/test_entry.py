"""The entry screen: option keys, serial checks, typed keys checked on the server,
the review and what a saved entry records."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import PaperEntry, Response, Role
from sipas.questionnaire.entry_keys import NO_ANSWER_KEY, KeyProblem, decode
from sipas.questionnaire.numbering import question_numbers
from sipas.questionnaire.paper_codes import option_keys
from sipas.questionnaire.serials import check_digit, form_code, format_serial
from sipas.services.questionnaires import parsed
from sipas.services.units.lookup import unit_by_code
from tests.entry_helpers import (
    form_data,
    form_url,
    issue,
    open_form,
    post_form,
    typed_form,
)
from tests.factories import demo_target


def vi(app, message: str) -> str:
    """The Vietnamese interface text of ``message``."""
    with app.test_request_context(), force_locale("vi"):
        return _(message)


def desk_app(client):
    return client.application


@pytest.fixture
def desk(demo_app, login_as):
    """The demo wave and centre with forms 1–5 issued, a surveyor logged in."""
    wave, unit = demo_target()
    issue(wave, unit, 1, 2, 3, 4, 5)
    issue(wave, unit_by_code("QN-CAMPHA-TT"), 9)
    db.session.commit()
    client = demo_app.test_client()
    user = login_as(client, Role.surveyor, unit=unit_by_code("QN"))
    return wave, unit, client, user


# -- keys ---------------------------------------------------------------------------


def test_option_keys_follow_the_printed_numbering(demo_app):
    questionnaire = parsed(demo_target()[0].questionnaire)
    assert option_keys(questionnaire.item("A1")) == [
        (code, code) for code in ("1", "2", "3", "4", "5", "9")
    ]
    assert option_keys(questionnaire.item("E_filter")) == [("1", "yes"), ("2", "no")]
    field_keys = option_keys(questionnaire.item("field"))
    assert field_keys[0] == ("01", "land")
    assert field_keys[-1] == ("12", "other")
    assert option_keys(questionnaire.item("comment")) == []


def test_no_answer_and_not_applicable_codes(demo_app):
    wave, _unit = demo_target()
    decoded = decode(parsed(wave.questionnaire), typed_form(wave, A1="9", A2="-"))
    assert decoded.is_valid
    assert decoded.answers["A1"] == "9"
    assert decoded.answers["A2"] is None


def test_bad_keys_are_named(demo_app):
    wave, _unit = demo_target()
    typed = typed_form(wave, A1="7", A2="", field="13", expectations="113")
    typed["occupation"] = "8"
    decoded = decode(parsed(wave.questionnaire), typed)
    assert decoded.problems == {
        "field": KeyProblem.invalid_key,
        "A1": KeyProblem.invalid_key,
        "A2": KeyProblem.missing,
        "expectations": KeyProblem.repeated_key,
        "occupation": KeyProblem.invalid_key,
    }
    too_many = decode(parsed(wave.questionnaire), typed_form(wave, expectations="1234"))
    assert too_many.problems == {"expectations": KeyProblem.too_many}


def test_skip_rules_apply_as_on_paper(demo_app):
    wave, _unit = demo_target()
    questionnaire = parsed(wave.questionnaire)
    no_feedback = typed_form(wave, E_filter="2")
    for code in ("E1", "E2", "E3", "E4"):
        no_feedback[code] = ""
    decoded = decode(questionnaire, no_feedback)
    assert decoded.is_valid
    assert "E1" not in decoded.answers
    assert decoded.answers["E_filter"] == "no"
    typed_anyway = decode(questionnaire, typed_form(wave, E_filter="2"))
    assert typed_anyway.problems == dict.fromkeys(
        ("E1", "E2", "E3", "E4"), KeyProblem.skipped
    )
    # the late-result question opens with "late" (key 3)
    late = decode(questionnaire, typed_form(wave, on_time="3"))
    assert late.problems == {"apology": KeyProblem.missing}
    assert NO_ANSWER_KEY == "-"


# -- serial checks -------------------------------------------------------------------


def _serial(client, wave, unit, text):
    response = client.get(
        f"/entry/{wave.code}/serial", query_string={"s": text, "u": unit.code}
    )
    assert response.status_code == 200
    return response.get_json()


def test_serial_check_digit_and_issue(desk):
    wave, unit, client, _user = desk
    good = format_serial(1)
    wrong = good[:-1] + str((check_digit("000001") + 1) % 10)
    accepted = _serial(client, wave, unit, good)
    assert (accepted["state"], accepted["ok"], accepted["round"]) == ("ok", True, 1)
    assert accepted["serial"] == good
    assert _serial(client, wave, unit, wrong)["state"] == "check"
    assert _serial(client, wave, unit, "12")["state"] == "format"
    assert _serial(client, wave, unit, format_serial(6))["state"] == "not_issued"
    # issued, but to another centre
    not_here = _serial(client, wave, unit, format_serial(9))
    assert not_here["state"] == "not_issued"
    assert not_here["message"] == vi(
        desk_app(client), "This form number has not been issued to this unit."
    )


def test_serial_reuse_and_blind_rule(desk, login_as, demo_app):
    wave, unit, client, _user = desk
    assert post_form(client, wave, unit, 1, typed_form(wave)).status_code == 302
    assert _serial(client, wave, unit, format_serial(1))["state"] == "own_entry"
    # the answer page refuses too, not only the JSON check
    refused = open_form(client, wave, unit, 1)
    assert refused.status_code == 302
    second = demo_app.test_client()
    login_as(second, Role.surveyor, unit=unit_by_code("QN-HALONG"))
    check = _serial(second, wave, unit, format_serial(1))
    assert (check["state"], check["round"]) == ("ok", 2)
    assert post_form(second, wave, unit, 1, typed_form(wave)).status_code == 302
    third = demo_app.test_client()
    login_as(third, Role.surveyor, unit=unit_by_code("QN"))
    assert _serial(third, wave, unit, format_serial(1))["state"] == "entered_twice"
    assert post_form(client, wave, unit, 2, typed_form(wave)).status_code == 302


def test_saving_twice_by_the_same_surveyor_is_refused_on_submit(desk):
    wave, unit, client, _user = desk
    data = form_data(client, wave, unit, 3, typed_form(wave))
    assert client.post(form_url(wave, unit), data=data).status_code == 302
    again = client.post(form_url(wave, unit), data=data)
    assert again.status_code == 302  # back to the serial box with the message
    assert db.session.scalar(sa.select(sa.func.count(PaperEntry.id))) == 1


def test_units_outside_the_scope_are_refused(demo_app, login_as):
    wave, unit = demo_target()
    client = demo_app.test_client()
    login_as(client, Role.surveyor, unit=unit_by_code("QN-CAMPHA"))
    assert open_form(client, wave, unit, 1).status_code == 403
    response = client.get(
        f"/entry/{wave.code}/serial", query_string={"s": "1", "u": unit.code}
    )
    assert response.status_code == 403


# -- the answer page, review and save -----------------------------------------------


def test_server_enforces_skip_logic_and_rerenders_errors(desk):
    wave, unit, client, _user = desk
    response = post_form(
        client, wave, unit, 1, typed_form(wave, E_filter="2"), step="review"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="k-E1" name="k_E1" type="text" value="4"' in page
    assert "aria-invalid" in page
    skipped = vi(
        desk_app(client), "This question is skipped on this form: leave it empty."
    )
    assert page.count(skipped) == 8  # in the summary and under each input
    assert db.session.scalar(sa.select(sa.func.count(PaperEntry.id))) == 0


def test_review_lists_answers_as_text_and_fix_goes_back(desk):
    wave, unit, client, _user = desk
    review = post_form(
        client, wave, unit, 1, typed_form(wave, A1="9", A2="-"), step="review"
    )
    page = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "Không áp dụng / không có ý kiến" in page
    assert "Đất đai" in page  # field key 01
    assert 'name="fix" value="A2"' in page
    assert db.session.scalar(sa.select(sa.func.count(PaperEntry.id))) == 0
    fix = post_form(client, wave, unit, 1, typed_form(wave), step="review", fix="A2")
    assert 'id="k-A2" name="k_A2" type="text" value="4"' in fix.get_data(as_text=True)
    assert "autofocus" in fix.get_data(as_text=True)


def test_save_records_who_when_and_how_long(desk):
    wave, unit, client, user = desk
    response = post_form(client, wave, unit, 1, typed_form(wave, A1="9", A2="-"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"wave=demo&unit={unit.code}")
    entry = db.session.scalar(sa.select(PaperEntry))
    assert (entry.serial, entry.round, entry.entered_by_id) == (1, 1, user.id)
    assert entry.started_at is not None
    assert entry.submitted_at >= entry.started_at
    assert entry.seconds is not None
    assert entry.seconds >= 0
    assert entry.keystrokes == 57
    assert entry.answers["A1"] == "9"
    assert entry.answers["A2"] is None
    assert entry.answers["expectations"] == ["information", "simpler_procedures"]
    # by default one entry does not count: no response yet
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 0


def test_index_offers_open_waves_and_units_in_scope(demo_app, login_as):
    client = demo_app.test_client()
    login_as(client, Role.surveyor, unit=unit_by_code("QN-CAMPHA"))
    page = client.get("/entry/", query_string={"wave": "demo", "unit": "QN-CAMPHA-TT"})
    html = page.get_data(as_text=True)
    assert "QN-CAMPHA-TT" in html
    assert "QN-HALONG-TT" not in html
    assert 'data-serial-url="/entry/demo/serial?u=QN-CAMPHA-TT"' in html


def test_answer_page_shows_keys_and_skip_instructions(desk):
    wave, unit, client, _user = desk
    page = open_form(client, wave, unit, 1).get_data(as_text=True)
    assert 'id="k-A1" name="k_A1"' in page
    assert 'maxlength="2"' in page  # the field question has 12 options: keys 01–12
    numbers = question_numbers(parsed(wave.questionnaire))
    with desk_app(client).test_request_context(), force_locale("vi"):
        # the apology question is asked only when late (key 3 of question 4)
        late = _(
            "only if question %(number)s is %(keys)s",
            number=numbers["on_time"],
            keys="3",
        )
        complained = _(
            "only if question %(number)s is %(keys)s",
            number=numbers["E_filter"],
            keys="1",
        )
    assert late in page
    assert complained in page
    assert 'data-show-item="E_filter" data-show-values="yes"' in page


def _question_names(app, questionnaire) -> dict[str, str]:
    """What the screens should call each question: "Câu 6", as the paper does."""
    with app.test_request_context(), force_locale("vi"):
        return {
            code: _("Question %(number)s", number=number)
            for code, number in question_numbers(questionnaire).items()
        }


def test_entry_and_review_name_questions_by_their_paper_number(desk):
    wave, unit, client, _user = desk
    questionnaire = parsed(wave.questionnaire)
    names = _question_names(desk_app(client), questionnaire)
    answer_page = open_form(client, wave, unit, 1).get_data(as_text=True)
    review = post_form(client, wave, unit, 1, typed_form(wave), step="review")
    for page in (answer_page, review.get_data(as_text=True)):
        for item in questionnaire.items:
            label = item.label.get_text("vi")
            assert f'<span class="item-code">{names[item.code]}</span> {label}' in (
                page
            ), item.code
            # a criterion keeps its printed code; other codes are internal
            shown = f'<span class="criterion-code">[{item.code}]</span>' in page
            assert shown == item.is_criterion, item.code
        assert '<span class="item-code">unofficial_payment</span>' not in page
    assert f'aria-label="Sửa {names["A2"].lower()}"' in review.get_data(as_text=True)


def test_errors_name_the_question_by_its_number(desk):
    wave, unit, client, _user = desk
    names = _question_names(desk_app(client), parsed(wave.questionnaire))
    response = post_form(
        client, wave, unit, 1, typed_form(wave, on_time="7"), step="review"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<a href="#k-on_time">{names["on_time"]}: ' in page


# -- the serial box: typed or scanned -------------------------------------------------


def test_a_scanned_form_code_opens_its_form_without_choosing(desk):
    wave, unit, client, _user = desk
    scanned = form_code(wave.code, unit.code, 2)
    # the scanner types into /entry/ before any round or unit is chosen
    opened = client.get("/entry/open", query_string={"serial": scanned})
    assert opened.status_code == 302
    assert opened.location == (f"{form_url(wave, unit)}?serial={format_serial(2)}")
    page = client.get(opened.location)
    assert page.status_code == 200
    assert 'id="k-field"' in page.get_data(as_text=True)


def test_a_scanned_code_wins_over_the_unit_chosen_on_the_page(desk):
    wave, unit, client, _user = desk
    other = unit_by_code("QN-CAMPHA-TT")
    scanned = form_code(wave.code, other.code, 9)
    opened = client.get(
        "/entry/open",
        query_string={"wave": wave.code, "unit": unit.code, "serial": scanned},
    )
    assert opened.location == f"{form_url(wave, other)}?serial={format_serial(9)}"


def test_a_typed_serial_opens_the_form_of_the_chosen_unit(desk):
    wave, unit, client, _user = desk
    opened = client.get(
        "/entry/open",
        query_string={
            "wave": wave.code,
            "unit": unit.code,
            "serial": format_serial(1).replace("-", ""),
        },
    )
    assert opened.location == f"{form_url(wave, unit)}?serial={format_serial(1)}"


@pytest.mark.parametrize(
    ("serial", "message"),
    [
        (
            "SIPAS:demo:QN-HALONG",
            "A form number has six digits, a dash and a check digit.",
        ),
        (
            format_serial(1),
            "Choose the survey round and the unit first, or scan the code printed "
            "on the form.",
        ),
    ],
)
def test_the_serial_box_explains_what_it_cannot_open(desk, serial, message):
    wave, _unit_, client, _user = desk
    refused = client.get(
        "/entry/open", query_string={"wave": wave.code, "serial": serial}
    )
    assert refused.status_code == 302
    assert refused.location == f"/entry/?wave={wave.code}"
    page = client.get(refused.location).get_data(as_text=True)
    assert vi(desk_app(client), message) in page


def test_a_scanned_form_of_a_unit_outside_the_scope_is_refused(demo_app, login_as):
    wave, unit = demo_target()
    issue(wave, unit, 1)
    db.session.commit()
    client = demo_app.test_client()
    login_as(client, Role.surveyor, unit=unit_by_code("QN-CAMPHA"))
    refused = client.get(
        "/entry/open", query_string={"serial": form_code(wave.code, unit.code, 1)}
    )
    assert refused.location == "/entry/"
    page = client.get("/entry/").get_data(as_text=True)
    assert f"{wave.code} · {unit.code}" in page
    assert db.session.scalar(sa.select(sa.func.count(PaperEntry.id))) == 0


def test_one_round_and_one_unit_go_straight_to_the_serial_box(demo_app, login_as):
    client = demo_app.test_client()
    login_as(client, Role.surveyor, unit=unit_by_code("QN-HALONG-TT"))
    html = client.get("/entry/").get_data(as_text=True)
    assert 'class="entry-choose"' not in html  # no "Tiếp tục" to press first
    assert '<input type="hidden" name="unit" value="QN-HALONG-TT">' in html
    assert 'data-serial-url="/entry/demo/serial?u=QN-HALONG-TT"' in html
    serial_box = re.search(r"<input[^>]*name=\"serial\"[^>]*>", html).group(0)
    assert "autofocus" in serial_box
    # room for the whole printed code, which a scanner types
    maxlength = int(re.search(r'maxlength="(\d+)"', serial_box).group(1))
    assert maxlength >= len(form_code("demo", "QN-HALONG-TT", 999999))


def test_several_units_are_chosen_first_but_a_scan_needs_no_choice(demo_app, login_as):
    client = demo_app.test_client()
    login_as(client, Role.surveyor, unit=unit_by_code("QN"))
    html = client.get("/entry/").get_data(as_text=True)
    assert 'class="entry-choose"' in html
    serial_box = re.search(r"<input[^>]*name=\"serial\"[^>]*>", html).group(0)
    assert "autofocus" in serial_box
