"""Settling double-entry differences against the paper, and per-surveyor figures."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from sipas.auth.decorators import require_scope, role_required
from sipas.entry.blueprint import bp
from sipas.entry.forms import (
    ImportSettingForm,
    SettingForm,
    SettleForm,
    answer_text,
    key_message,
    legend,
)
from sipas.entry.import_batches import published_figures_message
from sipas.entry.views import ENTRY_ROLES
from sipas.extensions import db
from sipas.i18n import current_language, format_number
from sipas.models import Role, Wave
from sipas.questionnaire import ItemType
from sipas.questionnaire.entry_keys import (
    Decoded,
    decode,
    encode,
    keyed_items,
)
from sipas.questionnaire.numbering import numbering
from sipas.questionnaire.personal_data import mask_personal_data
from sipas.services.paper.entry import (
    Disagreement,
    EntryRefused,
    disagreement,
    disagreements,
    may_settle,
    settle,
)
from sipas.services.paper.figures import set_counts_unverified, surveyor_figures
from sipas.services.questionnaires import parsed
from sipas.services.responses import batches
from sipas.services.responses.store import SubmissionRefused
from sipas.services.units.tree import visible_unit_ids
from sipas.services.waves.lookup import wave_or_404
from sipas.services.waves.publication import PublishedFigures

#: The settlement choices per differing item.
FIRST_CHOICE, SECOND_CHOICE, OTHER_CHOICE = "first", "second", "other"


@bp.get("/review")
@role_required(*ENTRY_ROLES)
def review() -> ResponseReturnValue:
    """Forms whose two entries differ, for a supervisor or a third surveyor."""
    cases = disagreements(current_user, visible_unit_ids(current_user))
    return render_template("entry/review.html", cases=cases)


def _case_or_404(wave_code: str, serial: int) -> Disagreement:
    wave = wave_or_404(wave_code)
    case = disagreement(wave, serial)
    if case is None:
        abort(404)
    require_scope(case.unit)
    if not may_settle(current_user, case.first, case.second):
        abort(403)
    return case


@bp.route("/review/<wave_code>/<int:serial>", methods=["GET", "POST"])
@role_required(*ENTRY_ROLES)
def settle_form(wave_code: str, serial: int) -> ResponseReturnValue:
    """The two entries side by side; a choice per differing item; settle."""
    case = _case_or_404(wave_code, serial)
    form = SettleForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        decoded, errors = _settled_answers(case)
        if not errors:
            try:
                settle(case, decoded.answers, current_user)
            except EntryRefused:
                flash(_("This form has already been settled."), "error")
                return redirect(url_for(".review"))
            except SubmissionRefused:
                db.session.rollback()
                flash(_("The survey round is not open: nothing was saved."), "error")
                return redirect(url_for(".review"))
            db.session.commit()
            flash(_("Form %(serial)s settled.", serial=case.serial_text), "success")
            return redirect(url_for(".review"))
    elif request.method == "POST":
        abort(400)
    status = 400 if errors else 200
    return render_template(
        "entry/settle.html", case=case, form=form, rows=_rows(case), errors=errors
    ), status


def _settled_answers(case: Disagreement) -> tuple[Decoded, dict[str, str]]:
    """The answers chosen per item, checked with the paper's rules."""
    questionnaire = parsed(case.wave.questionnaire)
    typed = encode(questionnaire, case.first.answers)
    errors: dict[str, str] = {}
    second = encode(questionnaire, case.second.answers)
    for code in case.differences:
        choice = request.form.get(f"choice_{code}")
        if choice == FIRST_CHOICE:
            typed[code] = typed.get(code, "")
        elif choice == SECOND_CHOICE:
            typed[code] = second.get(code, "")
        elif choice == OTHER_CHOICE:
            typed[code] = request.form.get(f"other_{code}", "")
        else:
            errors[code] = _("Choose which answer the paper shows.")
    decoded = decode(questionnaire, typed)
    for code, problem in decoded.problems.items():
        errors.setdefault(code, key_message(problem))
    return decoded, errors


def _rows(case: Disagreement) -> list[dict]:
    language = current_language()
    questionnaire = parsed(case.wave.questionnaire)
    numbers = numbering(questionnaire)
    rows = []
    for keyed in keyed_items(questionnaire):
        item = keyed.item
        code = item.code

        def text(answers: dict, item=item, code=code) -> str:
            shown = answer_text(
                item, answers.get(code), language, present=code in answers
            )
            # other surveyors' free text: what the paper says is in hand, so
            # personal data stays masked here too
            if item.type is ItemType.text and isinstance(answers.get(code), str):
                return mask_personal_data(shown)
            return shown

        rows.append(
            {
                "item": item,
                "keyed": keyed,
                "question": numbers[code],
                "label": item.label.get_text(language),
                "legend": legend(keyed, language),
                "first": text(case.first.answers),
                "second": text(case.second.answers),
                "differs": code in case.differences,
                "choice": request.form.get(f"choice_{code}", ""),
                "other": request.form.get(f"other_{code}", ""),
            }
        )
    return rows


@bp.get("/stats")
@role_required(Role.admin)
def stats() -> ResponseReturnValue:
    """Per-surveyor figures of one wave, and its rule for unverified forms."""
    waves = list(db.session.scalars(sa.select(Wave).order_by(Wave.code)))
    wave = next((w for w in waves if w.code == request.args.get("wave")), None)
    if wave is None and waves:
        wave = waves[0]
    setting = SettingForm(
        counts_unverified=wave.counts_unverified_paper if wave else False
    )
    import_setting = ImportSettingForm(
        counts_unaccepted=wave.counts_unaccepted_imports if wave else False
    )
    return render_template(
        "entry/stats.html",
        waves=waves,
        wave=wave,
        figures=surveyor_figures(wave) if wave else [],
        setting=setting,
        import_setting=import_setting,
        batches=batches.wave_batches(wave) if wave else [],
        published_note=_(
            "The results of this survey round are published: what counts in them "
            "can no longer be changed here. To change it, take the results down "
            "first (on the survey round's page)."
        ),
    )


@bp.post("/stats/<wave_code>/setting")
@role_required(Role.admin)
def wave_setting(wave_code: str) -> ResponseReturnValue:
    wave = wave_or_404(wave_code)
    form = SettingForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = set_counts_unverified(wave, form.counts_unverified.data, current_user)
    except SubmissionRefused:
        db.session.rollback()
        flash(_("The survey round is not open: nothing was saved."), "error")
        return redirect(url_for(".stats", wave=wave.code))
    except PublishedFigures:
        db.session.rollback()
        flash(published_figures_message(), "error")
        return redirect(url_for(".stats", wave=wave.code))
    db.session.commit()
    if wave.counts_unverified_paper:
        flash(
            _(
                "Paper forms entered once now count; %(n)s responses changed.",
                n=format_number(changed),
            ),
            "success",
        )
    else:
        flash(
            _(
                "Only verified paper forms count now; %(n)s responses changed.",
                n=format_number(changed),
            ),
            "success",
        )
    return redirect(url_for(".stats", wave=wave.code))
