"""The audit log page: read-only, newest first, filtered, 50 events a page."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from sipas.admin.blueprint import bp
from sipas.admin.paging import requested_page
from sipas.auth.decorators import role_required
from sipas.models import Role
from sipas.services import accounts, audit, clock

#: Readable names of the actions recorded so far; others show their code.
ACTION_LABELS = {
    "login": _l("Logged in"),
    "login_failed": _l("Failed login"),
    "login_throttled": _l("Login refused (too many failures)"),
    "logout": _l("Logged out"),
    "session_expired": _l("Session expired"),
    "password.change": _l("Changed own password"),
    "user.create": _l("Account created"),
    "user.update": _l("Account role or scope changed"),
    "user.disable": _l("Account disabled"),
    "user.enable": _l("Account enabled"),
    "user.password_reset": _l("Password reset by an administrator"),
    "unit.create": _l("Unit created"),
    "unit.update": _l("Unit changed"),
    "unit.move": _l("Unit moved"),
    "unit.merge": _l("Unit merged into a successor"),
    "unit.import": _l("Units imported"),
    "unit.load_official": _l("Official units of a province loaded"),
    "unit.export": _l("Units exported"),
    "questionnaire.upload": _l("Questionnaire file uploaded and checked"),
    "questionnaire.publish": _l("Questionnaire version published"),
    "questionnaire.download": _l("Questionnaire version downloaded"),
    "wave.create": _l("Survey round created"),
    "wave.update": _l("Survey round changed"),
    "wave.status": _l("Survey round status changed"),
    "wave.reopen": _l("Survey round reopened"),
    "wave.publish": _l("Survey round results published"),
    "wave.unpublish": _l("Survey round results unpublished"),
    "wave.targets": _l("Populations and targets changed"),
    "wave.paper_setting": _l("Rule for unverified paper forms changed"),
    "wave.import_setting": _l("Rule for imported rows not accepted yet changed"),
    "response.void": _l("Response voided"),
    "response.restore": _l("Response restored"),
    "response.accept": _l("Flagged response accepted"),
    "response.accept_many": _l("Flagged responses accepted together"),
    "responses.import": _l("Responses imported from a file"),
    "responses.import_accept": _l("Imported file accepted"),
    "paper.issue": _l("Paper forms issued"),
    "paper.reprint": _l("Paper forms printed again"),
    "paper.settle": _l("Double-entry difference settled"),
    "export.csv": _l("CSV downloaded"),
    "export.xlsx": _l("Workbook downloaded"),
    "export.json": _l("JSON downloaded"),
    "report.pdf": _l("PDF report downloaded"),
    "job.create": _l(
        "Work asked for in the background (a large file, import or results)"
    ),
    "poster.pdf": _l("QR posters downloaded"),
    "device.create": _l("Kiosk registered"),
    "device.revoke": _l("Kiosk revoked"),
    "device.token": _l("Kiosk given a new token"),
    "response.show_original": _l("Original comments of a response shown"),
    "wave.texts_erased": _l("Original comments erased (retention)"),
    "backup.create": _l("Database backed up"),
    "backup.restore": _l("Database restored from a backup"),
}


class AuditFilterForm(FlaskForm):
    """Filters read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    user = SelectField(_l("User"), validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


def action_label(action: str) -> str:
    """The readable name of an action code."""
    label = ACTION_LABELS.get(action)
    return str(label) if label else action


def detail_text(value: Any) -> str:
    """A details value as a short line: nested mappings as "key: value, …"."""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {detail_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(detail_text(item) for item in value)
    return "–" if value is None else str(value)


def _filter_form() -> tuple[AuditFilterForm, audit.AuditFilter]:
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", _("All actions"))] + [
        SelectChoice(code, action_label(code)) for code in audit.recorded_actions()
    ]
    form.user.choices = [SelectChoice("", _("All users"))] + [
        SelectChoice(str(user.id), user.username) for user in accounts.all_users()
    ]
    if not form.validate():
        return form, audit.AuditFilter()
    user_id = int(form.user.data) if form.user.data else None
    filters = audit.AuditFilter(
        form.action.data or None, user_id, form.start.data, form.end.data
    )
    return form, filters


@bp.get("/audit", endpoint="audit_log")
@role_required(Role.admin)
def audit_log_page() -> ResponseReturnValue:
    """Who did what, when and to which object."""
    form, filters = _filter_form()
    page = audit.events_page(filters, requested_page())
    names = audit.usernames(
        {event.user_id for event in page.items if event.user_id}
        | {
            int(event.object_id)
            for event in page.items
            if event.object_type == "user" and (event.object_id or "").isdigit()
        }
    )
    query = {key: value for key, value in request.args.items() if key != "page"}
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        names=names,
        query=query,
        action_label=action_label,
        detail_text=detail_text,
        iso_time=lambda moment: clock.as_utc(moment).isoformat(),
    )
