"""The national form end to end in Chromium: an administrator uploads it as the
workbook that ships with it, previews and publishes it, creates a survey round on it
and opens it; a citizen answers every step on a 360×740 phone (the service steps
behind their filters); the round then counts the response, and its results show the
two domains beside SIPAS with the figures of the results JSON."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.i18n import format_percent
from sipas.models import Answer, Response, ResponseStatus, WaveStatus
from sipas.questionnaire import load_file
from sipas.services import demo, questionnaires
from sipas.services.questionnaires import latest_version, parsed
from sipas.services.waves.lookup import wave_by_code
from tests.conftest import QUESTIONNAIRE_DIR, make_app
from tests.databases import databases
from tests.e2e.conftest import admin_window, assert_accessible, serving
from tests.e2e.test_phone_questionnaire import answer_visible_questions, go_on

pytestmark = pytest.mark.e2e

UNIT = "QN-HALONG-TT"
ROUND = "qg-2027"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own on the 2017 forms only (the national one comes by
    upload), whose demo round is closed: the centres wait for a national round."""
    path = tmp_path_factory.mktemp("national") / "sipas.db"
    app = make_app(path, SQLALCHEMY_DATABASE_URI=databases.url_for(path, True))
    # the robot taps 112 answers in seconds, which the quality rules rightly
    # exclude as far too fast for a person; here the count is what is tested
    app.config["QUALITY_SECONDS_PER_ANSWER_WEB"] = 0.0
    with app.app_context():
        db.create_all()
        questionnaires.sync(sorted(QUESTIONNAIRE_DIR.glob("sipas-2017*.yaml")))
        demo.ensure_demo("admin-test-password")
        wave_by_code("demo").status = WaveStatus.closed
        db.session.commit()
    with serving(app) as served:
        yield served


def vi(app, message: str) -> str:
    with app.test_request_context(), force_locale("vi"):
        return _(message)


def upload_and_publish(page, url: str, app, output_dir) -> None:
    """The national form's shipped workbook uploaded, previewed and published."""
    page.goto(f"{url}/admin/questionnaires")
    page.get_by_label(vi(app, "Workbook (.xlsx) or YAML file")).set_input_files(
        str(QUESTIONNAIRE_DIR / "xlsx" / "sipas-2023.xlsx")
    )
    page.get_by_role("button", name=vi(app, "Check and preview")).click()
    page.wait_for_url(f"{url}/admin/questionnaires/preview/**")
    shipped = load_file(QUESTIONNAIRE_DIR / "sipas-2023.yaml")
    national = shipped.questionnaire
    for section in national.sections:
        assert page.get_by_role(
            "heading", name=section.title.get_text("vi"), exact=True
        ).is_visible()
    assert_accessible(page)
    page.screenshot(path=str(output_dir / "national-preview.png"), full_page=True)
    with app.app_context():
        assert latest_version("sipas-2023") is None  # nothing stored yet
    page.get_by_role("button", name=vi(app, "Publish"), exact=True).click()
    page.wait_for_url(f"{url}/admin/questionnaires")
    with app.app_context():
        assert latest_version("sipas-2023").sha256 == shipped.sha256


def create_round(page, url: str, app, output_dir) -> None:
    """The administrator's part: a new round on the national form, then open."""
    page.goto(f"{url}/admin/waves/new")
    page.get_by_label(vi(app, "Code"), exact=True).fill(ROUND)
    page.get_by_label(vi(app, "Title"), exact=True).fill("Khảo sát SIPAS năm 2027")
    choice = page.get_by_label(vi(app, "Questionnaire version"))
    national = choice.locator("option", has_text="sipas-2023").get_attribute("value")
    choice.select_option(national)
    page.get_by_label(vi(app, "Units below")).select_option(
        label="QN · Tỉnh Quảng Ninh"
    )
    # whoever wishes answers on the phone: no unit populations to enter
    page.get_by_label(vi(app, "No sampling design (voluntary feedback)")).check()
    assert_accessible(page)
    page.screenshot(path=str(output_dir / "national-new-round.png"), full_page=True)
    page.get_by_role("button", name=vi(app, "Create survey round")).click()
    page.wait_for_url(f"{url}/admin/waves/{ROUND}")
    page.get_by_label(vi(app, "New status")).select_option("open")
    page.get_by_role("button", name=vi(app, "Change status")).click()
    page.wait_for_url(f"{url}/admin/waves/{ROUND}")
    with app.app_context():
        wave = wave_by_code(ROUND)
        assert wave.status is WaveStatus.open
        assert wave.questionnaire.code == "sipas-2023"


def answer_every_step(page, url: str, questionnaire, output_dir) -> list[str]:
    """The citizen's part on the phone; returns the steps shown."""
    page.goto(f"{url}/s/{UNIT}")
    shown = []
    while "/thanks/" not in page.url:
        section = page.locator("input[name=section]").input_value()
        shown.append(section)
        assert f"Bước {len(shown)}/" in page.locator("main").inner_text()
        for code, filtered in (
            ("used_service", "submission_channel"),
            ("E_filter", "E1"),
        ):
            if page.locator(f"#q-{code}").count():
                assert not page.locator(f"#q-{filtered}").is_visible()
                page.locator(f"#q-{code} input[value='yes']").check()
                assert page.locator(f"#q-{filtered}").is_visible()
        answer_visible_questions(page, questionnaire)
        assert_accessible(page)
        page.screenshot(
            path=str(output_dir / f"national-phone-{len(shown):02d}-{section}.png"),
            full_page=True,
        )
        go_on(page)
    return shown


def test_a_round_on_the_national_form_answered_on_a_phone_is_counted(
    server, browser, phone, output_dir
):
    url, app = server
    context, admin = admin_window(browser, url, app, 1366, 768)
    upload_and_publish(admin, url, app, output_dir)
    create_round(admin, url, app, output_dir)
    with app.app_context():
        questionnaire = parsed(wave_by_code(ROUND).questionnaire)

    shown = answer_every_step(phone, url, questionnaire, output_dir)
    assert shown == [section.code for section in questionnaire.sections]
    assert "Cảm ơn" in phone.locator("h1").inner_text()
    assert_accessible(phone)
    phone.screenshot(path=str(output_dir / "national-phone-thanks.png"), full_page=True)

    with app.app_context():
        (response,) = db.session.scalars(
            sa.select(Response).where(Response.wave_id == wave_by_code(ROUND).id)
        ).all()
        assert response.status is ResponseStatus.complete, response.status_reason
        codes = set(
            db.session.scalars(
                sa.select(Answer.item_code).filter_by(response_id=response.id)
            )
        )
    assert codes == {item.code for item in questionnaire.items}

    admin.goto(f"{url}/admin/waves/{ROUND}")
    total = admin.locator("tfoot td[data-key=responses]").inner_text()
    assert total == "1"
    admin.goto(f"{url}/admin/results/{ROUND}")
    main = admin.inner_text("main")
    with app.test_request_context(), force_locale("vi"):
        counted = _("%(n)s responses from %(units)s units", n="1", units="1")
    assert counted in main
    # the two domains and every group and factor of the form's tree
    for node in list(questionnaire.index_tree.walk())[1:]:
        assert node.label["vi"] in main, node.code
    # SIPAS and the two domains head the page, with the figures of the JSON
    document = admin.request.get(f"{url}/admin/results/{ROUND}/download.json").json()
    cards = admin.locator(".cards-index .card")
    domains = questionnaire.index_tree.children
    assert cards.count() == 1 + len(domains)
    for k, domain in enumerate(domains, start=1):
        assert domain.label["vi"] in cards.nth(k).locator(".card-title").inner_text()
        (node,) = [n for n in _nodes(document["indices"]) if n["code"] == domain.code]
        with app.test_request_context(), force_locale("vi"):
            shown = format_percent(node["index"])
        # one response: the figure comes with its "too few responses" mark
        value = cards.nth(k).locator(".card-value").inner_text().strip()
        assert value.startswith(shown)
    assert_accessible(admin)
    admin.screenshot(
        path=str(output_dir / "national-results-desktop.png"), full_page=True
    )
    admin.set_viewport_size({"width": 360, "height": 740})
    admin.reload()
    assert_accessible(admin)
    admin.screenshot(
        path=str(output_dir / "national-results-phone.png"), full_page=True
    )
    context.close()


def _nodes(node: dict) -> list[dict]:
    """A node of the JSON index tree and every node under it."""
    return [node, *(n for child in node.get("children", []) for n in _nodes(child))]
