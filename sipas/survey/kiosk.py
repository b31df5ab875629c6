"""The kiosk: a full-screen tablet app at /kiosk/<unit_code> that works offline.

The page, its script and the questionnaire (as JSON) are served here; the answers stay
in the browser until a respondent finishes, go to an IndexedDB outbox, and reach the
server through POST /api/sync (sipas.api) with the device's token.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l

from sipas.assets import asset_url
from sipas.questionnaire import Item, Questionnaire
from sipas.questionnaire.schema import SUPPORTED_LANGUAGES
from sipas.services.responses import phone
from sipas.services.units.lookup import unit_or_404
from sipas.services.waves.lookup import find_open_target, open_targets_near
from sipas.survey.blueprint import bp

#: Interface texts of the kiosk, sent to the page in every language (the respondent
#: switches language without a request). Keys are used by static/js/kiosk.js.
KIOSK_TEXTS: dict[str, LazyString] = {
    "invite": _l("Please rate the service you received"),
    "start": _l("Start"),
    "back": _l("Back"),
    "next": _l("Continue"),
    "skip": _l("Skip"),
    "progress": _l("Question %(n)s of %(total)s"),
    "still_here": _l("Are you still there?"),
    "still_here_hint": _l("Your answers will be cleared soon if nobody continues."),
    "thanks": _l("Thank you for your opinion!"),
    "thanks_hint": _l(
        "Your answers have been recorded. This screen returns to the start by itself."
    ),
    "thanks_kept": _l(
        "Your answers are kept on this kiosk and will be sent once it is enrolled "
        "again."
    ),
    "read_aloud": _l("Read aloud"),
    "contrast": _l("High contrast"),
    "language": _l("Language"),
    "unsent": _l("Waiting to be sent: %(n)s"),
    "choose_up_to": _l("Choose up to %(n)s options"),
    "chosen": _l("Chosen: %(n)s"),
    "limit_reached": _l(
        "You have chosen %(n)s, the most allowed. To change, first remove one of them."
    ),
    "characters_left": _l("Characters left: %(n)s"),
    "number_between": _l("Enter a whole number from %(min)s to %(max)s."),
    "number_from": _l("Enter a whole number of at least %(min)s."),
    "number_to": _l("Enter a whole number of at most %(max)s."),
    "number": _l("Enter a whole number."),
    "more_below": _l("Scroll down to see more"),
    # a kiosk that may not take answers, and why (static/js/kiosk.js blockedReason)
    "not_set_up": _l("This kiosk is not set up"),
    "not_set_up_hint": _l(
        "It cannot take answers yet. Please tell the staff at the desk."
    ),
    "revoked": _l("This kiosk is no longer registered"),
    "revoked_hint": _l(
        "It has been revoked or given a new token, and takes no new answers. "
        "Please tell the staff at the desk."
    ),
    "other_unit": _l("This kiosk is set up for another unit"),
    "other_unit_hint": _l(
        "It is enrolled for %(unit)s and takes no answers here. Please tell the "
        "staff at the desk."
    ),
    "staff_enrol": _l(
        "For staff: in %(path)s, register this kiosk (or issue it a new token), "
        "then open the enrolment link on this device."
    ),
    "kept": _l(
        "Finished questionnaires kept on this device: %(n)s. They will be sent "
        "once the kiosk is enrolled again."
    ),
}
#: Where staff enrol a kiosk: the back office's menu entries (same messages).
ENROL_PATH = (_l("Back office"), _l("Rounds"), _l("Kiosks"))


def kiosk_texts() -> dict[str, dict[str, str]]:
    """The kiosk's interface texts in every language, for its settings."""
    texts = {}
    for language in SUPPORTED_LANGUAGES:
        with force_locale(language):
            texts[language] = {key: str(msg) for key, msg in KIOSK_TEXTS.items()}
            texts[language]["enrol_path"] = " → ".join(map(str, ENROL_PATH))
    return texts


@bp.get("/kiosk/<unit_code>")
@bp.get("/kiosk/<unit_code>/enrol")
def kiosk_page(unit_code: str) -> ResponseReturnValue:
    """The kiosk app (the enrolment URL serves the same page; the token is in the
    URL fragment, which the browser never sends)."""
    unit = unit_or_404(unit_code)
    target = find_open_target(unit_code)
    settings = {
        "unit": unit.code,
        "unit_name": unit.name,
        "idle": current_app.config["KIOSK_IDLE_SECONDS"],
        "reset": current_app.config["KIOSK_RESET_SECONDS"],
        "questionnaire": url_for(".kiosk_questionnaire", unit_code=unit.code),
        "sync": "/api/sync",
        "ping": "/api/ping",
        "sw": url_for(".kiosk_service_worker"),
        "scope": "/kiosk/",
        "version": current_app.config.get("KIOSK_APP_VERSION", "2026.11.25"),
        "texts": kiosk_texts(),
    }
    return render_template(
        "survey/kiosk.html",
        unit=unit,
        has_wave=target is not None,
        settings=settings,
        instead=open_targets_near(unit) if target is None else [],
        enrol_path=" → ".join(map(str, ENROL_PATH)),
    )


def item_json(item: Item) -> dict:
    """One question as the kiosk script reads it."""
    return {
        "code": item.code,
        "type": str(item.type),
        "label": dict(item.label),
        "hint": dict(item.hint) if item.hint else None,
        "required": item.required,
        "choices": [
            {
                "code": c.code,
                "label": dict(c.label),
                "not_applicable": c.is_not_applicable,
            }
            for c in item.choices
        ],
        "show_if": (
            {"item": item.show_if.item, "values": list(item.show_if.values)}
            if item.show_if
            else None
        ),
        "max_choices": item.max_choices,
        "max_length": item.max_length,
        "min_value": item.min_value,
        "max_value": item.max_value,
    }


def questionnaire_json(questionnaire: Questionnaire) -> dict:
    """The questionnaire version as JSON: sections, items, choices, labels, show_if."""
    return {
        "code": questionnaire.code,
        "version": questionnaire.version,
        "languages": list(questionnaire.languages),
        "title": dict(questionnaire.title),
        "sections": [
            {
                "code": s.code,
                "title": dict(s.title),
                "description": dict(s.description) if s.description else None,
                "items": [item_json(item) for item in s.items],
            }
            for s in questionnaire.sections
        ],
    }


@bp.get("/kiosk/<unit_code>/questionnaire.json")
def kiosk_questionnaire(unit_code: str) -> ResponseReturnValue:
    """The open wave's questionnaire for the kiosk (404 when nothing is open)."""
    unit_or_404(unit_code)
    target = find_open_target(unit_code)
    if target is None:
        return jsonify({"error": "no_open_wave"}), 404
    body = questionnaire_json(phone.questionnaire_of(target))
    body["wave"] = target.wave.code
    body["unit"] = {"code": target.unit.code, "name": target.unit.name}
    response = jsonify(body)
    return response


@bp.get("/kiosk/sw.js")
def kiosk_service_worker() -> ResponseReturnValue:
    """The service worker, served under /kiosk/ so it may control the kiosk pages."""
    folder = current_app.static_folder or ""
    with open(f"{folder}/js/kiosk-sw.js", encoding="utf-8") as handle:
        script = handle.read()
    assets = [asset_url("js/kiosk.js"), asset_url("css/kiosk.css")]
    script = script.replace("__KIOSK_ASSETS__", repr(assets).replace("'", '"'))
    response = Response(script, mimetype="application/javascript")
    response.headers["Service-Worker-Allowed"] = "/kiosk/"
    return response
