"""Typing in paper forms: choose the round and unit, type the serial, type every
answer as keys, review, save."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from sipas.auth.decorators import require_scope, role_required
from sipas.entry.blueprint import bp
from sipas.entry.forms import (
    ChooseForm,
    EntryForm,
    SerialForm,
    answer_text,
    key_message,
    legend,
    serial_message,
    typed_keys,
)
from sipas.extensions import db
from sipas.i18n import current_language
from sipas.models import Role, Unit, Wave, WaveStatus
from sipas.models.base import utcnow
from sipas.questionnaire.entry_keys import decode, encode_value, keyed_items
from sipas.questionnaire.numbering import numbering
from sipas.questionnaire.serials import (
    FormNumber,
    SerialError,
    format_serial,
    read_form_number,
)
from sipas.services.paper.entry import (
    FIRST,
    EntryRefused,
    NewEntry,
    SerialCheck,
    SerialState,
    check_serial,
    save_entry,
)
from sipas.services.questionnaires import parsed
from sipas.services.units.lookup import unit_by_code, unit_or_404
from sipas.services.units.tree import visible_unit_ids
from sipas.services.waves.lookup import units_of, visible_waves, wave_or_404

ENTRY_ROLES = (Role.admin, Role.surveyor)


def open_waves(visible: set[int] | None) -> list[Wave]:
    """Open waves with at least one unit in ``visible`` (None = all)."""
    return visible_waves(visible, (WaveStatus.open,))


def _target(wave_code: str, unit_code: str) -> tuple[Wave, Unit]:
    """An open wave and one of its units in the user's scope (404 / 403)."""
    wave, unit = wave_or_404(wave_code), unit_or_404(unit_code)
    if wave.status is not WaveStatus.open:
        abort(404)
    require_scope(unit)
    if unit not in units_of(wave):
        abort(404)
    return wave, unit


@bp.get("/")
@role_required(*ENTRY_ROLES)
def index() -> ResponseReturnValue:
    """Choose the round and unit; then the serial box."""
    visible = visible_unit_ids(current_user)
    choose = ChooseForm(request.args)
    waves = open_waves(visible)
    choose.wave.choices = [(w.code, f"{w.code} · {w.title}") for w in waves]
    wave = next((w for w in waves if w.code == choose.wave.data), None)
    if wave is None and len(waves) == 1:
        wave = waves[0]
    units = units_of(wave, visible) if wave else []
    choose.unit.choices = [(u.code, f"{u.code} · {u.name}") for u in units]
    unit = next((u for u in units if u.code == choose.unit.data), None)
    if unit is None and len(units) == 1:
        unit = units[0]
    return render_template(
        "entry/index.html",
        choose=choose,
        wave=wave,
        unit=unit,
        # one round and one unit: nothing to choose, the serial box comes first
        has_choice=len(waves) > 1 or len(units) > 1,
        serial_form=SerialForm(request.args),
    )


@bp.get("/open")
@role_required(*ENTRY_ROLES)
def open_form() -> ResponseReturnValue:
    """The serial box's target: a typed serial for the chosen round and unit, or a
    scanned form code, which names its own round and unit."""
    chosen: dict[str, Any] = {  # url_for's values are Any
        "wave": request.args.get("wave"),
        "unit": request.args.get("unit"),
    }
    try:
        number = read_form_number(request.args.get("serial", ""))
    except SerialError as error:
        flash(serial_message(SerialState(error.reason)), "error")
        return redirect(url_for(".index", **chosen))
    wave_code = number.wave_code or chosen["wave"] or ""
    unit_code = number.unit_code or chosen["unit"] or ""
    if _enterable(wave_code, unit_code) is None:
        flash(_unenterable_message(number), "error")
        return redirect(url_for(".index", **chosen))
    serial = format_serial(number.serial)
    return redirect(
        url_for(".form", wave_code=wave_code, unit_code=unit_code, serial=serial)
    )


def _enterable(wave_code: str, unit_code: str) -> tuple[Wave, Unit] | None:
    """The open wave and one of its units in the user's scope, or None."""
    visible = visible_unit_ids(current_user)
    wave = next((w for w in open_waves(visible) if w.code == wave_code), None)
    units = units_of(wave, visible) if wave else []
    unit = next((u for u in units if u.code == unit_code), None)
    return (wave, unit) if wave and unit else None


def _unenterable_message(number: FormNumber) -> str:
    if number.wave_code is None:
        return _(
            "Choose the survey round and the unit first, or scan the code printed "
            "on the form."
        )
    return _(
        "This form belongs to %(wave)s · %(unit)s, which is not open for entry or "
        "not among your units.",
        wave=number.wave_code,
        unit=number.unit_code,
    )


@bp.get("/<wave_code>/serial")
@role_required(*ENTRY_ROLES)
def serial_check(wave_code: str) -> ResponseReturnValue:
    """JSON verdict on a typed serial, asked by the serial box as it is typed."""
    wave = wave_or_404(wave_code)
    unit = unit_by_code(request.args.get("u"))
    if unit is None:
        check = SerialCheck(SerialState.not_issued)
    else:
        require_scope(unit)
        check = check_serial(wave, unit, request.args.get("s", ""), current_user)
    return jsonify(
        state=check.state.value,
        ok=check.ok,
        round=check.round,
        serial=format_serial(check.serial) if check.serial else None,
        message=serial_message(check.state),
    )


@bp.route("/<wave_code>/<unit_code>/form", methods=["GET", "POST"])
@role_required(*ENTRY_ROLES)
def form(wave_code: str, unit_code: str) -> ResponseReturnValue:
    """The answer page: every question as keys; then the review; then save."""
    wave, unit = _target(wave_code, unit_code)
    entry_form = EntryForm()
    serial_text = (
        entry_form.serial.data
        if request.method == "POST"
        else request.args.get("serial")
    )
    check = check_serial(wave, unit, serial_text or "", current_user)
    if not check.ok or check.serial is None:  # an accepted serial has its number
        flash(serial_message(check.state), "error")
        return redirect(url_for(".index", wave=wave.code, unit=unit.code))
    if request.method == "GET":
        entry_form.serial.data = format_serial(check.serial)
        entry_form.started_at.data = utcnow().isoformat()
        return _answer_page(wave, unit, check, entry_form, {}, {})
    if not entry_form.validate_on_submit():
        abort(400)
    typed = typed_keys(request.form)
    decoded = decode(parsed(wave.questionnaire), typed)
    step = request.form.get("step", "review")
    if "fix" in request.form:
        return _answer_page(
            wave, unit, check, entry_form, typed, {}, request.form["fix"]
        )
    if not decoded.is_valid:
        errors = {code: key_message(kind) for code, kind in decoded.problems.items()}
        return _answer_page(wave, unit, check, entry_form, typed, errors), 400
    if step != "save":
        return _review_page(wave, unit, check, entry_form, typed, decoded.answers)
    return _save(wave, unit, entry_form, decoded.answers)


def _save(
    wave: Wave, unit: Unit, entry_form: EntryForm, answers: dict
) -> ResponseReturnValue:
    try:
        saved = save_entry(
            NewEntry(
                wave=wave,
                unit=unit,
                serial_text=entry_form.serial.data,
                answers=answers,
                user=current_user,
                started_at=entry_form.started(),
                keystrokes=entry_form.keystroke_count(),
            )
        )
    except EntryRefused as refused:
        flash(serial_message(refused.check.state), "error")
        return redirect(url_for(".index", wave=wave.code, unit=unit.code))
    db.session.commit()
    serial = format_serial(saved.entry.serial)
    if saved.entry.round == FIRST:
        message = _("Form %(serial)s saved (first entry).", serial=serial)
    elif saved.verified:
        message = _(
            "Form %(serial)s saved: both entries agree, verified.", serial=serial
        )
    else:
        message = _(
            "Form %(serial)s saved: %(n)s answers differ from the first entry; a "
            "supervisor will settle them against the paper.",
            serial=serial,
            n=len(saved.differences),
        )
    flash(message, "success")
    return redirect(url_for(".index", wave=wave.code, unit=unit.code))


def _rows(wave: Wave, typed: dict, answers: dict | None = None) -> list[dict]:
    """What the templates show per item."""
    language = current_language()
    questionnaire = parsed(wave.questionnaire)
    keyed_list = keyed_items(questionnaire)
    by_code = {keyed.item.code: keyed for keyed in keyed_list}
    numbers = numbering(questionnaire)
    rows = []
    for keyed in keyed_list:
        item = keyed.item
        rows.append(
            {
                "keyed": keyed,
                "item": item,
                "question": numbers[item.code],
                "label": item.label.get_text(language),
                "legend": legend(keyed, language),
                "typed": typed.get(item.code, ""),
                "condition": _condition(item, by_code, numbers),
                "answer": (
                    answer_text(
                        item,
                        answers.get(item.code),
                        language,
                        present=item.code in answers,
                    )
                    if answers is not None
                    else None
                ),
            }
        )
    return rows


def _condition(item, by_code, numbers) -> str | None:
    """When a skipped-on-paper item is asked: "only if question 4 is 3" (the keys
    of its filter)."""
    if item.show_if is None:
        return None
    target = by_code[item.show_if.item]
    keys = [encode_value(target, code) for code in item.show_if.values]
    return _(
        "only if question %(number)s is %(keys)s",
        number=numbers[target.item.code].number,
        keys=" / ".join(keys),
    )


def _answer_page(
    wave: Wave,
    unit: Unit,
    check: SerialCheck,
    entry_form: EntryForm,
    typed: dict[str, str],
    errors: dict[str, str],
    focus: str | None = None,
) -> str:
    return render_template(
        "entry/form.html",
        wave=wave,
        unit=unit,
        check=check,
        form=entry_form,
        rows=_rows(wave, typed),
        errors=errors,
        focus=focus,
        serial_url=url_for(".serial_check", wave_code=wave.code),
    )


def _review_page(
    wave: Wave,
    unit: Unit,
    check: SerialCheck,
    entry_form: EntryForm,
    typed: dict[str, str],
    answers: dict,
) -> str:
    return render_template(
        "entry/review_form.html",
        wave=wave,
        unit=unit,
        check=check,
        form=entry_form,
        rows=_rows(wave, typed, answers),
    )
