"""Responses: the filtered list, one response in full, and status changes with a
reason (void, restore, accept a flagged one) — never a deletion."""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, SelectField

from sipas.admin.blueprint import bp
from sipas.admin.forms_waves import (
    STATUS_LABELS,
    BulkAcceptForm,
    ReasonForm,
    ResponseFilterForm,
)
from sipas.admin.paging import requested_page
from sipas.auth.decorators import READERS, require_scope, role_required
from sipas.extensions import db
from sipas.i18n import current_language, format_day
from sipas.labels import CHANNEL_LABELS
from sipas.models import Channel, Response, ResponseStatus, Role, Unit, Wave
from sipas.services.responses import admin
from sipas.services.responses.admin import (
    ResponseFilters,
    SelectionChanged,
    StatusChangeRefused,
)
from sipas.services.responses.privacy import holds_personal_data, record_original_shown
from sipas.services.units.lookup import visible_units
from sipas.services.units.tree import visible_unit_ids
from sipas.services.waves.lookup import visible_waves


def _choices(visible: set[int] | None) -> tuple[list[Wave], list[Unit]]:
    """Waves with units in scope, and the units in scope, for the filter selects."""
    return visible_waves(visible), visible_units(visible)


def _filters(form: ResponseFilterForm, waves, units) -> ResponseFilters:
    """The valid filters of the form (an invalid one is left out)."""
    wave_ids = {w.code: w.id for w in waves}
    unit_ids = {u.code: u.id for u in units}
    channel, status = _chosen(form.channel), _chosen(form.status)
    return ResponseFilters(
        wave_id=wave_ids.get(_chosen(form.wave) or ""),
        unit_id=unit_ids.get(_chosen(form.unit) or ""),
        channel=Channel(channel) if channel else None,
        status=ResponseStatus(status) if status else None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        signal=_chosen(form.signal),
    )


def _chosen(field: Field) -> str | None:
    """The field's value, unless it is none of its choices (a crafted link)."""
    return None if field.errors else field.data or None


@bp.get("/responses")
@role_required(*READERS)
def responses() -> ResponseReturnValue:
    """Responses in the user's scope, filtered, newest first, a page at a time."""
    visible = visible_unit_ids(current_user)
    waves, units = _choices(visible)
    form = ResponseFilterForm(waves, units, CHANNEL_LABELS, formdata=request.args)
    form.validate()
    filters = _filters(form, waves, units)
    page = requested_page()
    flagged = admin.count_responses(
        ResponseFilters(status=ResponseStatus.flagged), visible
    )
    reviewing = filters.status is ResponseStatus.flagged
    can_edit = current_user.role is Role.admin
    return render_template(
        "admin/responses/list.html",
        form=form,
        pagination=admin.list_responses(filters, visible, max(page, 1)),
        flagged=flagged,
        reviewing=reviewing,
        reason_form=ReasonForm(),
        status_labels=STATUS_LABELS,
        query={k: v for k, v in request.args.items() if k != "page" and v},
        can_edit=can_edit,
        bulk=_bulk_choice(filters, visible) if reviewing and can_edit else None,
    )


def _bulk_choice(filters: ResponseFilters, visible: set[int] | None) -> dict | None:
    """What the list's bulk accept form carries: the filters, and how many flagged
    responses they match (None when there is none)."""
    count = admin.count_acceptable(filters, visible)
    if not count:
        return None
    hidden = [(n, v) for n in BULK_FIELDS for v in request.args.getlist(n) if v]
    return {"count": count, "hidden": hidden}


def _response_in_scope(text: str) -> Response:
    response = admin.find_response(text)
    if response is None:
        abort(404)
    require_scope(response.unit)
    return response


def _render_response(
    response: Response,
    form: ReasonForm | None = None,
    status: int = 200,
    *,
    original: bool = False,
) -> tuple[str, int]:
    language = current_language()
    page = render_template(
        "admin/responses/response.html",
        response=response,
        items=admin.answered_items(response, language, original=original),
        original=original,
        has_personal_data=holds_personal_data(response),
        original_form=FlaskForm(),
        entered_by=admin.entered_by(response),
        actions=admin.available_actions(response),
        reason_form=form or ReasonForm(),
        status_labels=STATUS_LABELS,
        can_edit=current_user.role is Role.admin,
    )
    return page, status


@bp.get("/responses/<response_uuid>")
@role_required(*READERS)
def response(response_uuid: str) -> ResponseReturnValue:
    """One response in full, labelled in the page language."""
    return _render_response(_response_in_scope(response_uuid))


@bp.post("/responses/<response_uuid>/original")
@role_required(Role.admin)
def response_original(response_uuid: str) -> ResponseReturnValue:
    """The response with its free-text answers unmasked, for an administrator who
    asks for it (a form button, so it is never a mere link); audited."""
    response = _response_in_scope(response_uuid)
    if not FlaskForm().validate_on_submit():
        abort(400)
    record_original_shown(response, current_user)
    db.session.commit()
    page, status = _render_response(response, original=True)
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/responses/<response_uuid>/<any(void, restore, accept):action>")
@role_required(Role.admin)
def response_status(response_uuid: str, action: str) -> ResponseReturnValue:
    """Void, restore or accept one response, with a reason."""
    response = _response_in_scope(response_uuid)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            admin.change_status(response, action, form.reason.data, current_user)
        except StatusChangeRefused:
            flash(_("This change does not apply to the response now."), "error")
        else:
            db.session.commit()
            flash(_("Response status changed."), "success")
            return redirect(_back_to(response))
        return redirect(_back_to(response))
    if request.form.get("next"):
        flash(_("Please give a reason."), "error")
        return redirect(_back_to(response))
    return _render_response(response, form, 400)


def _back_to(response: Response) -> str:
    """Where to go after the change: the list it came from (same site) or the page."""
    target = request.form.get("next", "")
    if target.startswith("/admin/responses") and not target.startswith("//"):
        return target
    return url_for("admin.response", response_uuid=str(response.uuid))


#: Query fields that say which flagged responses a bulk accept takes.
BULK_FIELDS = ("wave", "unit", "channel", "signal", "date_from", "date_to")


def _bulk_scope(source) -> tuple[ResponseFilters, list[uuid_module.UUID] | None]:
    """The filters of a bulk accept and, for the checked ones, their UUIDs."""
    visible = visible_unit_ids(current_user)
    waves, units = _choices(visible)
    form = ResponseFilterForm(waves, units, CHANNEL_LABELS, formdata=source)
    form.validate()
    if source.get("scope") != "checked":
        return _filters(form, waves, units), None
    uuids = []
    for text in source.getlist("response"):
        try:
            uuids.append(uuid_module.UUID(text))
        except ValueError:
            abort(400)
    return _filters(form, waves, units), uuids


def _render_accept(form: BulkAcceptForm, status: int = 200) -> ResponseReturnValue:
    """The confirmation: how many flagged responses the scope holds, and why."""
    source = request.values
    visible = visible_unit_ids(current_user)
    filters, uuids = _bulk_scope(source)
    count = admin.count_acceptable(filters, visible, uuids)
    form.expected.data, form.expected.raw_data = count, None  # the count as it is now
    waves, units = _choices(visible)
    shown = ResponseFilterForm(waves, units, CHANNEL_LABELS, formdata=source)
    kept = [(n, v) for n in BULK_FIELDS for v in source.getlist(n) if v]
    back_filters: dict[str, Any] = dict(kept)  # url_for's values are Any
    page = render_template(
        "admin/responses/accept.html",
        form=form,
        count=count,
        checked=uuids,
        filters=_described(shown, [n for n in BULK_FIELDS if source.get(n)]),
        hidden=kept
        + [("scope", source.get("scope", "filter"))]
        + [("response", str(u)) for u in uuids or ()],
        back=url_for("admin.responses", status="flagged", **back_filters),
    )
    return page, status


def _described(form: ResponseFilterForm, names: list[str]) -> list[tuple[str, str]]:
    """(label, chosen value in words) of the filter fields ``names``."""
    described = []
    for name in names:
        field = form[name]
        if isinstance(field, SelectField):
            value = {c.value: str(c.label) for c in field.choices}.get(field.data)
        else:
            value = format_day(field.data) if field.data else None
        described.append((str(field.label.text), value or str(field.data or "")))
    return described


@bp.get("/responses/accept")
@role_required(Role.admin)
def accept_many_confirm() -> ResponseReturnValue:
    """Confirm accepting many flagged responses: how many, which, and a reason."""
    return _render_accept(BulkAcceptForm(formdata=None))


@bp.post("/responses/accept")
@role_required(Role.admin)
def accept_many() -> ResponseReturnValue:
    """Accept the confirmed flagged responses with one reason, in one update."""
    form = BulkAcceptForm()
    if not form.validate_on_submit():
        return _render_accept(form, 400)
    filters, uuids = _bulk_scope(request.form)
    try:
        changed = admin.accept_many(
            filters,
            visible_unit_ids(current_user),
            uuids,
            form.reason.data,
            current_user,
            expected=form.expected.data,
        )
    except SelectionChanged:
        flash(
            _(
                "The flagged responses changed since you looked: "
                "please check the number again."
            ),
            "error",
        )
        return _render_accept(form, 409)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d response accepted: it counts in the statistics again.",
            "%(num)d responses accepted: they count in the statistics again.",
            changed,
        ),
        "success",
    )
    kept: dict[str, Any] = {  # url_for's values are Any
        n: request.form[n] for n in BULK_FIELDS if request.form.get(n)
    }
    return redirect(url_for("admin.responses", status="flagged", **kept))
