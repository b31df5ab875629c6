"""Kiosk devices: register one for a unit (its enrolment link and QR shown once),
revoke it, issue a new token; each device's last contact and unsent answers."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user

from sipas.admin.blueprint import bp
from sipas.admin.forms_devices import DeviceForm, RevokeForm
from sipas.auth.decorators import role_required
from sipas.extensions import db
from sipas.models import Device, Role, Unit
from sipas.models.base import utcnow
from sipas.services.clock import as_utc
from sipas.services.responses import devices


def _since(moment: datetime | None) -> str:
    """ "5 phút trước" for a past moment, or an em dash for never."""
    if moment is None:
        return "—"
    return format_timedelta(as_utc(moment) - utcnow(), add_direction=True, threshold=1)


def _page(
    form: DeviceForm, enrolment: dict | None = None, status: int = 200
) -> ResponseReturnValue:
    return (
        render_template(
            "admin/devices/list.html",
            form=form,
            devices=devices.devices_by_unit(),
            since=_since,
            enrolment=enrolment,
        ),
        status,
    )


def _enrolment(device: Device, token: str) -> dict:
    # ReportLab is imported when a PDF is made, not when the app starts
    from sipas.reports.qr_svg import qr_svg

    url = request.host_url.rstrip("/") + devices.enrolment_path(device.unit, token)
    title = _("Enrolment QR code for %(name)s", name=device.name)
    return {"device": device, "url": url, "qr": qr_svg(url, title)}


@bp.get("/devices")
@role_required(Role.admin)
def devices_list() -> ResponseReturnValue:
    """Every kiosk by unit, and the form to register one."""
    return _page(DeviceForm(devices.enrolable_units()))


@bp.post("/devices")
@role_required(Role.admin)
def device_create() -> ResponseReturnValue:
    """Register a kiosk; the page shows its enrolment link once, never again."""
    form = DeviceForm(devices.enrolable_units())
    if not form.validate_on_submit():
        return _page(form, status=400)
    unit = db.session.get(Unit, form.unit.data)
    if unit is None:
        abort(404)
    device, token = devices.create_device(unit, form.name.data, current_user)
    db.session.commit()
    flash(_("Kiosk registered. Open the link below on the kiosk now."), "success")
    return _page(DeviceForm(devices.enrolable_units()), _enrolment(device, token))


@bp.get("/devices/<int:device_id>/revoke")
@role_required(Role.admin)
def device_revoke_confirm(device_id: int) -> ResponseReturnValue:
    """Ask first (a page, so it works without JavaScript): what stops, what the
    kiosk keeps."""
    device = db.get_or_404(Device, device_id)
    return render_template(
        "admin/devices/revoke.html", device=device, form=RevokeForm(), since=_since
    )


@bp.post("/devices/<int:device_id>/revoke")
@role_required(Role.admin)
def device_revoke(device_id: int) -> ResponseReturnValue:
    """Deactivate a kiosk once confirmed: its token stops working at once."""
    device = db.get_or_404(Device, device_id)
    if not RevokeForm().validate_on_submit():
        return redirect(url_for("admin.device_revoke_confirm", device_id=device.id))
    devices.revoke_device(device, current_user)
    db.session.commit()
    flash(_("Kiosk %(name)s revoked.", name=device.name), "success")
    return redirect(url_for("admin.devices_list"))


@bp.post("/devices/<int:device_id>/token")
@role_required(Role.admin)
def device_token(device_id: int) -> ResponseReturnValue:
    """A new token (the old one stops working); shown once like the first."""
    device = db.get_or_404(Device, device_id)
    token = devices.reissue_token(device, current_user)
    db.session.commit()
    flash(_("New token issued for %(name)s.", name=device.name), "success")
    return _page(DeviceForm(devices.enrolable_units()), _enrolment(device, token))
