"""The kiosk's routes: the page, the questionnaire as JSON and the service worker."""

from __future__ import annotations

import json
import re

from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import UnitLevel
from sipas.questionnaire import ItemType
from sipas.services.responses import phone
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import find_open_target, open_targets
from tests.factories import make_unit

UNIT = "QN-HALONG-TT"


def _settings(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="kiosk-settings">(.*?)</script>',
        html,
        re.S,
    )
    assert match, "the kiosk page carries its settings"
    return json.loads(match.group(1))


def test_kiosk_page_carries_settings_and_script(demo_client):
    response = demo_client.get(f"/kiosk/{UNIT}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    settings = _settings(html)
    assert settings["unit"] == UNIT
    assert settings["idle"] == 45
    assert settings["reset"] == 60
    assert settings["questionnaire"] == f"/kiosk/{UNIT}/questionnaire.json"
    assert settings["sw"] == "/kiosk/sw.js"
    assert settings["scope"] == "/kiosk/"
    assert set(settings["texts"]) == {"vi", "en"}
    assert settings["texts"]["en"]["progress"] == "Question %(n)s of %(total)s"
    assert "/static/js/kiosk.js?v=" in html
    assert "/static/css/kiosk.css?v=" in html
    # no cookie is set for a respondent
    assert "Set-Cookie" not in response.headers


def test_enrolment_url_serves_the_same_page(demo_client):
    response = demo_client.get(f"/kiosk/{UNIT}/enrol")
    assert response.status_code == 200
    assert _settings(response.get_data(as_text=True))["unit"] == UNIT


def test_idle_settings_come_from_the_config(demo_app):
    demo_app.config.update(KIOSK_IDLE_SECONDS=3, KIOSK_RESET_SECONDS=4)
    html = demo_app.test_client().get(f"/kiosk/{UNIT}").get_data(as_text=True)
    settings = _settings(html)
    assert (settings["idle"], settings["reset"]) == (3, 4)


def test_unknown_unit_is_404(demo_client):
    assert demo_client.get("/kiosk/NO-SUCH-UNIT").status_code == 404
    assert demo_client.get("/kiosk/NO-SUCH-UNIT/enrol").status_code == 404
    assert demo_client.get("/kiosk/NO-SUCH-UNIT/questionnaire.json").status_code == 404


def test_unit_without_open_wave_gets_a_friendly_page(demo_app):
    make_unit("QN-NOWAVE", "Bộ phận chưa khảo sát")
    db.session.commit()
    client = demo_app.test_client()
    response = client.get("/kiosk/QN-NOWAVE")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bộ phận chưa khảo sát" in html
    assert "kiosk-settings" not in html
    assert "kiosk.js" not in html
    answer = client.get("/kiosk/QN-NOWAVE/questionnaire.json")
    assert answer.status_code == 404
    assert answer.get_json() == {"error": "no_open_wave"}


def test_questionnaire_json_matches_the_questionnaire(demo_client):
    response = demo_client.get(f"/kiosk/{UNIT}/questionnaire.json")
    assert response.status_code == 200
    body = response.get_json()
    questionnaire = phone.questionnaire_of(find_open_target(UNIT))
    assert body["code"] == questionnaire.code
    assert body["wave"] == "demo"
    assert body["unit"]["code"] == UNIT
    assert [s["code"] for s in body["sections"]] == [
        s.code for s in questionnaire.sections
    ]
    sent = {i["code"]: i for s in body["sections"] for i in s["items"]}
    assert list(sent) == [item.code for item in questionnaire.items]
    for item in questionnaire.items:
        shown = sent[item.code]
        assert shown["type"] == item.type.value
        assert shown["required"] == item.required
        assert shown["label"] == {"vi": item.label["vi"], "en": item.label["en"]}
        assert [c["code"] for c in shown["choices"]] == list(item.choice_codes)
        assert [c["not_applicable"] for c in shown["choices"]] == [
            c.is_not_applicable for c in item.choices
        ]
        if item.show_if is None:
            assert shown["show_if"] is None
        else:
            assert shown["show_if"] == {
                "item": item.show_if.item,
                "values": list(item.show_if.values),
            }
    # the demo questionnaire exercises every kind the kiosk draws
    kinds = {i["type"] for i in sent.values()}
    assert {t.value for t in (ItemType.scale, ItemType.single_choice)} <= kinds
    assert {"multi_choice", "text"} <= kinds
    assert sent["apology"]["show_if"] == {"item": "on_time", "values": ["late"]}
    scale = next(i for i in sent.values() if i["type"] == "scale")
    assert [c["code"] for c in scale["choices"]] == ["1", "2", "3", "4", "5", "9"]


def test_service_worker_headers_and_assets(demo_client):
    response = demo_client.get("/kiosk/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/kiosk/"
    assert response.headers["Cache-Control"] == "private, no-cache"
    script = response.get_data(as_text=True)
    assert "__KIOSK_ASSETS__" not in script
    assets = json.loads(re.search(r"var ASSETS = (\[.*?\]);", script).group(1))
    assert [a.split("?")[0] for a in assets] == [
        "/static/js/kiosk.js",
        "/static/css/kiosk.css",
    ]
    for asset in assets:
        static = demo_client.get(asset)
        assert static.status_code == 200
        static.close()


def test_a_ward_without_a_round_names_the_units_a_kiosk_could_serve(demo_app):
    client = demo_app.test_client()
    with force_locale("vi"):
        html = client.get("/kiosk/QN-HALONG").get_data(as_text=True)
        hint = _(
            "For staff: this unit has no survey round open. A kiosk can collect "
            "answers for:"
        )
    assert hint in html
    # the ward's own centre, and only it: the nearest units first
    links = re.findall(r'<a href="/kiosk/([^"]+)">', html)
    assert links == ["QN-HALONG-TT"]
    assert find_open_target("QN-HALONG-TT") is not None


def test_a_unit_with_nothing_below_names_its_neighbours(demo_app):
    province = unit_by_code("QN")
    make_unit("QN-NEW", "Xã Mới", level=UnitLevel.commune, parent=province)
    db.session.commit()
    html = demo_app.test_client().get("/kiosk/QN-NEW").get_data(as_text=True)
    links = re.findall(r'<a href="/kiosk/([^"]+)">', html)
    # every centre of the province collects in the demo round
    assert sorted(links) == sorted(t.unit.code for t in open_targets())
    assert len(links) == 5
