"""Unit pages (administrators only): tree and search, create/edit, move, merge,
import and export, a province's official units."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from sipas.admin.blueprint import bp
from sipas.admin.forms_units import (
    LEVEL_LABELS,
    ImportForm,
    MergeForm,
    MoveForm,
    OfficialLoadForm,
    UnitForm,
)
from sipas.auth.decorators import role_required
from sipas.extensions import csrf, db
from sipas.i18n import format_day
from sipas.models import OfficialEra, Role, Unit, UnitLevel
from sipas.security import logged_in_user, rate_limited
from sipas.services.audit import record_event
from sipas.services.units import admin as unit_service
from sipas.services.units import imports, official
from sipas.services.units.lookup import unit_by_id_or_404, unit_by_official_code
from sipas.services.units.official_data import data_version
from sipas.services.units.rules import highlight
from sipas.services.units.tree import ancestors

#: What each line of the preview of an official load counts.
OFFICIAL_GROUPS = {
    (OfficialEra.from_2025, UnitLevel.province): _l("Province (since 1/7/2025)"),
    (OfficialEra.from_2025, UnitLevel.commune): _l(
        "Communes, wards and special zones (since 1/7/2025)"
    ),
    (OfficialEra.before_2025, UnitLevel.province): _l(
        "Provinces before 1/7/2025 (closed)"
    ),
    (OfficialEra.before_2025, UnitLevel.district): _l(
        "Districts before 1/7/2025 (closed)"
    ),
    (OfficialEra.before_2025, UnitLevel.commune): _l(
        "Communes, wards and townships before 1/7/2025 (closed)"
    ),
}

#: Request bodies up to this size reach the import view (a 5 MB file and the form).
IMPORT_BODY_LIMIT = imports.MAX_IMPORT_BYTES + 64 * 1024


class LineFormat:
    """Level names, dates and unit addresses for one page, each worked out once."""

    def __init__(self) -> None:
        self.levels = {level: str(label) for level, label in LEVEL_LABELS.items()}
        self.day = functools.lru_cache(maxsize=None)(format_day)
        self.base = url_for("admin.unit_page", unit_id=0).removesuffix("0")

    def level(self, level: UnitLevel) -> str:
        return self.levels[level]

    def url(self, unit_id: int) -> str:
        return f"{self.base}{unit_id}"


@bp.get("/units")
@role_required(Role.admin)
def units() -> ResponseReturnValue:
    """The whole tree, or the units matching the search with their path."""
    query = request.args.get("q", "").strip()
    tree = unit_service.load_tree()
    found = unit_service.search(tree, query) if query else None
    return render_template(
        "admin/units/index.html",
        tree=tree,
        query=query,
        found=found,
        highlight=highlight,
        fmt=LineFormat(),
    )


@bp.route("/units/new", methods=["GET", "POST"])
@role_required(Role.admin)
def unit_new() -> ResponseReturnValue:
    form = UnitForm(parent_code=request.args.get("parent", ""))
    if form.validate_on_submit():
        try:
            unit = unit_service.create_unit(form.unit_data(), current_user)
        except unit_service.UnitError as error:
            _show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Unit %(code)s created.", code=unit.code), "success")
            return redirect(url_for("admin.unit_page", unit_id=unit.id))
    status = 400 if form.errors else 200
    return render_template("admin/units/new.html", form=form), status


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def unit_page(unit_id: int) -> ResponseReturnValue:
    """One unit: its details and the forms to edit, move and merge it."""
    unit = unit_by_id_or_404(unit_id)
    form = UnitForm(obj=None if request.method == "POST" else _form_values(unit))
    return _change_unit(
        unit,
        "edit_form",
        form,
        lambda: unit_service.update_unit(unit, form.unit_data(), current_user),
        lambda: _("Unit %(code)s saved.", code=unit.code),
    )


@bp.post("/units/<int:unit_id>/move")
@role_required(Role.admin)
def unit_move(unit_id: int) -> ResponseReturnValue:
    unit = unit_by_id_or_404(unit_id)
    form = MoveForm(prefix="move")
    return _change_unit(
        unit,
        "move_form",
        form,
        lambda: unit_service.move_unit(
            unit, form.parent_code.data or None, current_user
        ),
        lambda: _("Unit %(code)s moved.", code=unit.code),
    )


@bp.post("/units/<int:unit_id>/merge")
@role_required(Role.admin)
def unit_merge(unit_id: int) -> ResponseReturnValue:
    unit = unit_by_id_or_404(unit_id)
    form = MergeForm(prefix="merge")
    return _change_unit(
        unit,
        "merge_form",
        form,
        lambda: unit_service.merge_unit(
            unit, form.successor_code.data, form.valid_to.data, current_user
        ),
        lambda: _(
            "Unit %(code)s merged into %(successor)s.",
            code=unit.code,
            successor=form.successor_code.data,
        ),
    )


def _change_unit(
    unit: Unit,
    form_name: str,
    form: FlaskForm,
    change: Callable[[], object],
    done: Callable[[], str],
) -> ResponseReturnValue:
    """Validate ``form``, make the ``change``, commit and come back to the unit's
    page; or show the page again with the form's errors."""
    if form.validate_on_submit():
        try:
            change()
        except unit_service.UnitError as error:
            db.session.rollback()
            _show_errors(form, error)
        else:
            db.session.commit()
            flash(done(), "success")
            return redirect(url_for("admin.unit_page", unit_id=unit.id))
    return _render_unit(unit, **{form_name: form})


# The form checks the CSRF token itself: the global check would read the body
# before this view raises its size limit from the site's default to the import's.
@csrf.exempt
@bp.route("/units/import", methods=["GET", "POST"])
@rate_limited("import", "RATE_LIMIT_IMPORTS_PER_HOUR", logged_in_user, window=3600)
@role_required(Role.admin)
def units_import() -> ResponseReturnValue:
    """Upload a unit file; everything is written, or nothing and a report."""
    request.max_content_length = IMPORT_BODY_LIMIT
    report = None
    try:
        form = ImportForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form, submitted = ImportForm(formdata=None), False
        too_large = _("The file is larger than 5 MB.")
        report = imports.ImportReport(file_error=too_large)
    if "csrf_token" in form.errors:  # the answer the site's own check would give
        raise CSRFError(form.errors["csrf_token"][0])
    if submitted:
        upload = form.file.data
        report = imports.import_units(
            upload.filename or "", upload.read(), current_user
        )
        if report.ok:
            db.session.commit()
            flash(
                _(
                    "Import done: %(created)s created, %(updated)s updated, "
                    "%(unchanged)s unchanged.",
                    created=report.created,
                    updated=report.updated,
                    unchanged=report.unchanged,
                ),
                "success",
            )
            return redirect(url_for("admin.units"))
        db.session.rollback()
    status = 400 if form.errors or (report and not report.ok) else 200
    return render_template("admin/units/import.html", form=form, report=report), status


@bp.route("/units/official", methods=["GET", "POST"])
@role_required(Role.admin)
def units_official() -> ResponseReturnValue:
    """A province's official units: choose it, see what changes, then confirm."""
    form = OfficialLoadForm()
    preview = None
    if form.validate_on_submit():
        code, history = form.province.data, form.with_history.data
        if request.form.get("action") == "confirm":
            try:
                report = official.load_official(
                    code, with_history=history, user=current_user
                )
            except official.CodeTaken:
                db.session.rollback()  # the preview below names the codes
            else:
                db.session.commit()
                flash(_official_summary(report), "success")
                return redirect(_official_page(report))
        preview = official.preview_official(code, with_history=history)
    return render_template(
        "admin/units/official.html",
        form=form,
        preview=preview,
        groups=OFFICIAL_GROUPS,
        source=data_version(),
    ), (400 if form.errors or (preview and preview.conflicts) else 200)


def _official_summary(report: official.OfficialReport) -> str:
    return _(
        "%(province)s: %(created)s units created, %(updated)s updated, "
        "%(unchanged)s unchanged.",
        province=report.province_name,
        created=report.total("created"),
        updated=report.total("updated"),
        unchanged=report.total("unchanged"),
    )


def _official_page(report: official.OfficialReport) -> str:
    """The page of the province just loaded."""
    province = unit_by_official_code(report.province_code, UnitLevel.province)
    if province is None:  # cannot happen after a load; the tree is a safe place
        return url_for("admin.units")
    return url_for("admin.unit_page", unit_id=province.id)


@bp.get("/units/template.csv")
@role_required(Role.admin)
def units_template() -> ResponseReturnValue:
    return _csv_download(imports.template_csv(), "units-template.csv")


@bp.get("/units/export.csv")
@role_required(Role.admin)
def units_export() -> ResponseReturnValue:
    data = imports.export_csv()
    details = {"bytes": len(data)}
    record_event("unit.export", user=current_user, object_type="unit", details=details)
    db.session.commit()
    return _csv_download(data, "units.csv")


def _csv_download(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _form_values(unit: Unit) -> SimpleNamespace:
    """The unit's fields as the edit form shows them."""
    return SimpleNamespace(
        code=unit.code,
        name=unit.name,
        level=unit.level.value,
        parent_code=unit.parent.code if unit.parent else "",
        valid_from=unit.valid_from,
        valid_to=unit.valid_to,
        successor_code=unit.successor.code if unit.successor else "",
    )


def _show_errors(form: FlaskForm, error: unit_service.UnitError) -> None:
    """Put the service's messages on the fields they concern."""
    fields = [name for name in form._fields if name != "csrf_token"]
    for name, message in error.errors.items():
        target = form[name] if name in form else form[fields[0]]
        target.errors = [*target.errors, str(message)]


def _render_unit(
    unit: Unit,
    edit_form: UnitForm | None = None,
    move_form: MoveForm | None = None,
    merge_form: MergeForm | None = None,
) -> ResponseReturnValue:
    failed = any(f is not None and f.errors for f in (edit_form, move_form, merge_form))
    page = render_template(
        "admin/units/unit.html",
        fmt=LineFormat(),
        unit=unit,
        path=ancestors(unit),
        has_responses=unit_service.has_responses(unit),
        predecessors=unit_service.predecessors(unit),
        edit_form=edit_form or UnitForm(formdata=None, obj=_form_values(unit)),
        move_form=move_form
        or MoveForm(formdata=None, prefix="move", obj=_form_values(unit)),
        merge_form=merge_form or MergeForm(formdata=None, prefix="merge"),
    )
    return page, 400 if failed else 200
