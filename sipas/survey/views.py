"""Phone/web questionnaire: /s/<unit_code>, one section per step, then a thank-you."""

from __future__ import annotations

import uuid as uuid_module

from flask import (
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Response

from sipas.errors import DATABASE_UNAVAILABLE, database_down, render_error
from sipas.extensions import db
from sipas.i18n import current_language, is_language, remember_language
from sipas.models import ResponseDraft
from sipas.questionnaire import Questionnaire, Section
from sipas.questionnaire.logic import is_visible
from sipas.questionnaire.steps import step_number
from sipas.security import client_address, rate_limited
from sipas.services.responses import phone, store
from sipas.services.waves.lookup import SurveyTarget, find_open_target
from sipas.survey.blueprint import bp
from sipas.survey.forms import SectionForm, csrf_failure_message, form_class, prefill


class SurveyNotOpen(NotFound):
    """No unit with that code collects answers now: the 404 page says so."""

    sipas_message = _l(
        "The address may be mistyped, or the survey is not open at the moment."
    )


def _target_or_404(unit_code: str) -> SurveyTarget:
    """The unit and its open wave, or the friendly 'not open' page."""
    target = find_open_target(unit_code)
    if target is None:
        raise SurveyNotOpen
    return target


def _session_key(unit_code: str) -> str:
    return f"form:{unit_code}"


def _current_form_uuid(unit_code: str) -> uuid_module.UUID:
    """This browser's form instance for the unit; a new one after a submission."""
    form_uuid = _session_form_uuid(unit_code)
    if form_uuid is None or store.find_by_uuid(form_uuid) is not None:
        form_uuid = uuid_module.uuid4()
        session[_session_key(unit_code)] = str(form_uuid)
    return form_uuid


def _session_form_uuid(unit_code: str) -> uuid_module.UUID | None:
    """The form instance this browser started for the unit, if any.

    The draft is bound to the browser through it: the session cookie is signed, so
    no one can put another citizen's form id into their own, and a form id read
    from a log or a history (or posted by hand) opens nothing.
    """
    stored = session.get(_session_key(unit_code))
    return _parse_uuid(stored) if stored else None


def _own_form_uuid(unit_code: str, claimed: str | None) -> uuid_module.UUID | None:
    """``claimed`` if it is this browser's form instance for the unit, else None."""
    form_uuid = _parse_uuid(claimed)
    if form_uuid is None or form_uuid != _session_form_uuid(unit_code):
        return None
    return form_uuid


def _parse_uuid(value: str | None) -> uuid_module.UUID | None:
    try:
        return uuid_module.UUID(str(value))
    except ValueError:
        return None


def _section_or_400(questionnaire: Questionnaire, code: str | None) -> Section:
    try:
        return questionnaire.sections[questionnaire.section_index(code or "")]
    except KeyError:
        abort(400)


@bp.get("/s/<unit_code>")
def questionnaire_page(unit_code: str) -> ResponseReturnValue:
    """Show the step the respondent is on (or asked for with ?step=).

    The form instance is this browser's (kept in its session), never one named in
    the URL: step URLs carry no form id, so access logs and histories hold none.
    """
    target = _target_or_404(unit_code)
    questionnaire = phone.questionnaire_of(target)
    sent = _session_form_uuid(unit_code)
    if "step" in request.args and sent and store.find_by_uuid(sent) is not None:
        # back button after sending: the same thank-you, never a second response
        return redirect(url_for(".thanks", unit_code=unit_code, form_id=sent))
    form_uuid = _current_form_uuid(unit_code)
    draft = phone.find_draft(form_uuid, target)
    answers = draft.answers if draft else {}
    section = _reachable_section(questionnaire, draft, request.args.get("step"))
    form = form_class(questionnaire, section, current_language())(formdata=None)
    prefill(form, answers)
    return _render_step(target, questionnaire, section, form, form_uuid, answers)


def _reachable_section(
    questionnaire: Questionnaire, draft: ResponseDraft | None, requested: str | None
) -> Section:
    """The requested step if the respondent has reached it, else where they are."""
    current = phone.reached_section(questionnaire, draft)
    codes = [s.code for s in questionnaire.sections]
    if requested in codes and codes.index(requested) <= codes.index(current.code):
        return questionnaire.sections[codes.index(requested)]
    return current


@bp.post("/s/<unit_code>")
@rate_limited("phone", "RATE_LIMIT_PHONE_PER_MINUTE", client_address)
def post_step(unit_code: str) -> ResponseReturnValue:
    """Validate one step, keep it, and go on; the last step stores the response.

    The language buttons send the step too: what was typed is kept (required
    answers not insisted on) and the same step comes back in the other language.
    """
    target = _target_or_404(unit_code)
    questionnaire = phone.questionnaire_of(target)
    form_uuid = _parse_uuid(request.form.get("form_id")) or abort(400)
    if store.find_by_uuid(form_uuid) is not None:
        return redirect(url_for(".thanks", unit_code=unit_code, form_id=form_uuid))
    if form_uuid != _session_form_uuid(unit_code):
        # another browser's form (or a form whose session is gone): leave it alone
        return redirect(url_for(".questionnaire_page", unit_code=unit_code))
    section = _section_or_400(questionnaire, request.form.get("section"))
    language, move = _language_and_move()
    with force_locale(language):
        form = form_class(questionnaire, section, language)()
        outcome = phone.post_step(
            target,
            form_uuid,
            section,
            form.answers(),
            move=move,
            language=language,
            source=client_address(),
        )
        if outcome.problems:
            form.show_problems(outcome.problems)
            page = _render_posted_step(target, questionnaire, section, form, form_uuid)
            response: Response = make_response(page, 422)
        else:
            db.session.commit()
            response = _after_step(unit_code, form_uuid, outcome)
    if move is phone.Move.stay:
        remember_language(response, language)
    return response


def _language_and_move() -> tuple[str, phone.Move]:
    """The language the step is answered in, and what was pressed: a language
    button (``language=en``) stays on the step."""
    chosen = request.form.get("language")
    if chosen is not None:
        return (chosen if is_language(chosen) else current_language()), phone.Move.stay
    move = phone.Move.back if request.form.get("move") == "back" else phone.Move.next
    return current_language(), move


def _after_step(
    unit_code: str, form_uuid: uuid_module.UUID, outcome: phone.StepOutcome
) -> Response:
    """The thank-you page once stored, else the step to show next."""
    if outcome.response is not None:
        return redirect(url_for(".thanks", unit_code=unit_code, form_id=form_uuid))
    section_code = outcome.section.code if outcome.section else None
    return redirect(
        url_for(".questionnaire_page", unit_code=unit_code, step=section_code)
    )


@bp.errorhandler(CSRFError)
def csrf_failure(error: CSRFError) -> ResponseReturnValue:
    """An expired form on a step: the step again with what was posted (not stored)
    and an explanation, never a lost questionnaire."""
    try:
        return _render_after_csrf_failure()
    except DATABASE_UNAVAILABLE as down:
        # an error raised by a handler would be a bare 500
        return database_down(down)


def _render_after_csrf_failure() -> ResponseReturnValue:
    """The step again with what was posted (not stored) and an explanation."""
    unit_code = (request.view_args or {}).get("unit_code", "")
    target = find_open_target(unit_code)
    if target is None:
        return render_error(404)
    questionnaire = phone.questionnaire_of(target)
    form_uuid = _own_form_uuid(
        unit_code, request.form.get("form_id")
    ) or _current_form_uuid(unit_code)
    try:
        section = _section_or_400(questionnaire, request.form.get("section"))
    except HTTPException as error:
        return render_error(error.code or 400)
    form = form_class(questionnaire, section, current_language())()
    form.form_errors.append(csrf_failure_message())
    return _render_posted_step(target, questionnaire, section, form, form_uuid), 400


def _render_posted_step(
    target: SurveyTarget,
    questionnaire: Questionnaire,
    section: Section,
    form: SectionForm,
    form_uuid: uuid_module.UUID,
) -> str:
    """The step again with what was posted over the draft (nothing stored)."""
    draft = phone.find_draft(form_uuid, target)
    answers = {**(draft.answers if draft else {}), **form.answers()}
    return _render_step(target, questionnaire, section, form, form_uuid, answers)


def _render_step(
    target: SurveyTarget,
    questionnaire: Questionnaire,
    section: Section,
    form: SectionForm,
    form_uuid: uuid_module.UUID,
    answers: dict,
) -> str:
    """Render one step with its progress and the skip rules of its questions."""
    form.form_id.data = str(form_uuid)
    form.section.data = section.code
    position, total = step_number(questionnaire, answers, section.code)
    own_codes = {item.code for item in section.items}
    hidden_now = {item.code for item in section.items if not is_visible(item, answers)}
    #: hidden by an answer on this page: shown with its skip instruction until the
    #: script (or the server, on the next step) applies the rule
    conditional = {
        item.code
        for item in section.items
        if item.show_if is not None and item.show_if.item in own_codes
    }
    return render_template(
        "survey/step.html",
        target=target,
        questionnaire=questionnaire,
        section=section,
        form=form,
        position=position,
        total=total,
        is_first=position == 1,
        is_last=position == total,
        skipped=hidden_now - conditional,
        hidden_now=hidden_now & conditional,
        language=current_language(),
    )


@bp.get("/s/<unit_code>/thanks/<uuid:form_id>")
def thanks(unit_code: str, form_id: uuid_module.UUID) -> ResponseReturnValue:
    """The thank-you page with the receipt code; the same for every retry."""
    response = store.find_by_uuid(form_id)
    if response is None or response.unit.code != unit_code:
        abort(404)
    return render_template(
        "survey/thanks.html",
        response=response,
        unit=response.unit,
        receipt=store.receipt_code(response.uuid),
    )
