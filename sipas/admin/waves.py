"""Survey rounds: the list, creation, the wave page with its status, design, unit
targets (grid and file import) and live progress."""

from __future__ import annotations

from collections.abc import Mapping

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from sipas.admin.blueprint import bp
from sipas.admin.forms_waves import (
    DESIGN_CHOICES,
    LEVEL_LABELS,
    METHOD_LABELS,
    WEIGHTING_LABELS,
    ImportForm,
    StatusForm,
    TargetsForm,
    WaveDesignForm,
    WaveForm,
    choices_of,
    margin_questions,
)
from sipas.auth.decorators import READERS, role_required
from sipas.extensions import db
from sipas.i18n import current_language
from sipas.labels import WAVE_STATUS_LABELS
from sipas.models import (
    QuestionnaireVersion,
    ResponseStatus,
    Role,
    Unit,
    UnitLevel,
    Wave,
    WaveStatus,
)
from sipas.security import body_limit, logged_in_user, rate_limited
from sipas.services.jobs.pages import preparation
from sipas.services.questionnaires import parsed
from sipas.services.responses.admin import ResponseFilters, count_responses
from sipas.services.responses.privacy import erase_after
from sipas.services.units.lookup import all_units
from sipas.services.units.tree import visible_unit_ids
from sipas.services.waves.admin import (
    WaveChangeRefused,
    change_status,
    create_wave,
    next_statuses,
    questionnaire_versions,
    update_wave,
)
from sipas.services.waves.design import (
    DesignChoice,
    choice_of,
    design_settings,
    taking_part_level,
    wave_settings,
)
from sipas.services.waves.lookup import wave_or_404, wave_units
from sipas.services.waves.margins import (
    crossed_margins,
    margin_cells,
    margin_grid,
    margins_in_words,
)
from sipas.services.waves.progress import channel_progress, waves_overview
from sipas.services.waves.targets import (
    UnreadableFile,
    parse_grid,
    parse_import,
    read_rows,
    store_targets,
)

#: Largest population and target file (a row per unit: a province is far below).
TARGETS_BODY_LIMIT = 5 * 1024 * 1024


@bp.get("/")
@role_required(*READERS)
def index() -> ResponseReturnValue:
    """Every wave with units in the user's scope: status, dates and progress."""
    visible = visible_unit_ids(current_user)
    flagged = count_responses(ResponseFilters(status=ResponseStatus.flagged), visible)
    return render_template(
        "admin/waves/list.html", overview=waves_overview(visible), flagged=flagged
    )


@bp.route("/waves/new", methods=["GET", "POST"])
@role_required(Role.admin)
def wave_new() -> ResponseReturnValue:
    units = all_units()
    form = WaveForm(questionnaire_versions(), units)
    if request.method == "GET":
        form.text_retention_days.data = current_app.config["TEXT_RETENTION_DAYS"]
    if form.validate_on_submit():
        try:
            wave = create_wave(
                code=form.code.data,
                title=form.title.data,
                questionnaire=db.get_or_404(
                    QuestionnaireVersion, form.questionnaire.data
                ),
                design=form.design(),
                root=db.get_or_404(Unit, form.root_unit.data),
                unit_level=UnitLevel(form.unit_level.data),
                user=current_user,
            )
        except WaveChangeRefused:
            form.root_unit.errors = [_("There is no unit of that level below it.")]
        else:
            db.session.commit()
            flash(_("Survey round %(code)s created.", code=wave.code), "success")
            return redirect(url_for("admin.wave", code=wave.code))
    return render_template(
        "admin/waves/new.html", form=form, **_design_page(form, request.form)
    )


def _design_page(form: WaveDesignForm, cells: Mapping[str, str]) -> dict:
    """What the design fields need besides the form: choices in words, the
    settings of each choice, and the margins grid."""
    level = form.taking_part() or UnitLevel.centre
    return {
        "design_choices": DESIGN_CHOICES,
        "choice_settings": {
            choice.value: design_settings(choice, level)
            for choice in DesignChoice
            if choice is not DesignChoice.custom
        },
        "margin_grid": margin_grid(
            margin_questions(form.margins_questionnaire()),
            cells,
            form.margin_errors,
            current_language(),
        ),
    }


def _wave_in_scope(code: str) -> tuple[Wave, set[int] | None]:
    """The wave and the user's visible units; 404 unknown, 403 none of its units."""
    wave = wave_or_404(code)
    visible = visible_unit_ids(current_user)
    if visible is not None and not wave_units(wave, visible):
        abort(403)
    return wave, visible


def _render_wave(
    wave: Wave, visible: set[int] | None, status: int = 200, **forms
) -> ResponseReturnValue:
    status_form = forms.pop("status_form", None) or StatusForm()
    status_form.status.choices = choices_of(
        {s: WAVE_STATUS_LABELS[s] for s in next_statuses(wave)}
    )
    page = render_template(
        "admin/waves/wave.html",
        wave=wave,
        progress=channel_progress(wave, visible),
        units=wave_units(wave, visible),
        status_form=status_form,
        targets_form=forms.pop("targets_form", None) or TargetsForm(),
        import_form=forms.pop("import_form", None) or ImportForm(),
        level_labels=LEVEL_LABELS,
        weighting_labels=WEIGHTING_LABELS,
        method_labels=METHOD_LABELS,
        design_choice=DESIGN_CHOICES[
            choice_of(wave_settings(wave), taking_part_level(wave))
        ],
        margins=margins_in_words(
            wave.calibration_margins, parsed(wave.questionnaire), current_language()
        ),
        texts_erase_after=erase_after(wave),
        public_pages=preparation(wave),
        can_edit=current_user.role is Role.admin,
        **forms,
    )
    return page, status


@bp.get("/waves/<code>")
@role_required(*READERS)
def wave(code: str) -> ResponseReturnValue:
    """Details, status, design, unit targets and progress of one wave."""
    return _render_wave(*_wave_in_scope(code))


@bp.get("/waves/<code>/progress.json")
@role_required(*READERS)
def wave_progress(code: str) -> ResponseReturnValue:
    """Responses per unit and channel against target, for the page's polling."""
    wave, visible = _wave_in_scope(code)
    return jsonify(channel_progress(wave, visible).as_json())


@bp.post("/waves/<code>/status")
@role_required(Role.admin)
def wave_status(code: str) -> ResponseReturnValue:
    wave, visible = _wave_in_scope(code)
    form = StatusForm()
    form.status.choices = choices_of({s: s for s in next_statuses(wave)})
    if form.validate_on_submit():
        try:
            change_status(
                wave, WaveStatus(form.status.data), current_user, form.reason.data
            )
        except WaveChangeRefused:
            form.reason.errors = [_("Please give the reason for reopening.")]
        else:
            db.session.commit()
            flash(_("Status changed."), "success")
            return redirect(url_for("admin.wave", code=wave.code))
    return _render_wave(wave, visible, 400, status_form=form)


@bp.route("/waves/<code>/edit", methods=["GET", "POST"])
@role_required(Role.admin)
def wave_edit(code: str) -> ResponseReturnValue:
    """Dates and design of a wave."""
    wave, _visible = _wave_in_scope(code)
    form = WaveDesignForm(obj=wave)
    form.wave_questionnaire = wave.questionnaire
    form.wave_unit_level = taking_part_level(wave)
    form.kept_margins = crossed_margins(wave.calibration_margins)
    cells: Mapping[str, str] = request.form
    if request.method == "GET":
        form.show_settings(wave_settings(wave))
        cells = margin_cells(wave.calibration_margins)
    if form.validate_on_submit():
        changed = update_wave(wave, form.design(), current_user)
        db.session.commit()
        flash(_("Design saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("admin.wave", code=wave.code))
    return render_template(
        "admin/waves/edit.html", wave=wave, form=form, **_design_page(form, cells)
    )


@bp.post("/waves/<code>/targets")
@role_required(Role.admin)
def wave_targets(code: str) -> ResponseReturnValue:
    """Save the grid: every cell checked, nothing saved if one is wrong."""
    wave, visible = _wave_in_scope(code)
    form = TargetsForm()
    if not form.validate_on_submit():
        abort(400)
    grid = parse_grid(wave_units(wave), request.form)
    if grid.errors:
        flash(_("Nothing was saved: please correct the marked cells."), "error")
        return _render_wave(
            wave, visible, 400, grid_errors=grid.errors, grid_input=request.form
        )
    changed = store_targets(wave, grid.values, current_user, source="grid")
    db.session.commit()
    flash(_("Saved: %(n)s units changed.", n=changed), "success")
    return redirect(url_for("admin.wave", code=wave.code) + "#targets")


@bp.post("/waves/<code>/targets/import")
@body_limit(TARGETS_BODY_LIMIT)
@rate_limited("import", "RATE_LIMIT_IMPORTS_PER_HOUR", logged_in_user, window=3600)
@role_required(Role.admin)
def wave_targets_import(code: str) -> ResponseReturnValue:
    """Populations and targets from a file; nothing stored if a row is wrong."""
    wave, visible = _wave_in_scope(code)
    form = ImportForm()
    if not form.validate_on_submit():
        return _render_wave(wave, visible, 400, import_form=form)
    upload = form.table.data
    try:
        rows = read_rows(upload.filename, upload.stream)
    except UnreadableFile as error:
        form.table.errors = [str(error.args[0])]
        return _render_wave(wave, visible, 400, import_form=form)
    parsed = parse_import(wave, rows)
    if parsed.errors:
        flash(_("Nothing was imported: please correct the rows listed."), "error")
        return _render_wave(
            wave, visible, 400, import_form=form, import_errors=parsed.errors
        )
    changed = store_targets(wave, parsed.values, current_user, source=upload.filename)
    db.session.commit()
    flash(_("Imported: %(n)s units changed.", n=changed), "success")
    return redirect(url_for("admin.wave", code=wave.code) + "#targets")
