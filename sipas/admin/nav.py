"""The back office's navigation: the areas each role may open."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from sipas.models import Role

#: (endpoint, label, roles that see the link) in menu order.
NAV_ITEMS = (
    ("admin.index", _l("Survey rounds"), (Role.admin, Role.analyst)),
    ("admin.dashboard", _l("Results"), (Role.admin, Role.analyst)),
    ("admin.responses", _l("Response list"), (Role.admin, Role.analyst)),
    ("admin.units", _l("Units"), (Role.admin,)),
    ("admin.users", _l("Accounts"), (Role.admin,)),
    ("admin.audit_log", _l("Audit log"), (Role.admin,)),
    ("admin.paper_forms", _l("Paper forms"), (Role.admin,)),
    ("admin.posters", _l("QR posters"), (Role.admin,)),
    ("admin.devices_list", _l("Kiosks"), (Role.admin,)),
    ("entry.index", _l("Paper entry"), (Role.admin, Role.surveyor)),
    ("entry.import_responses", _l("Import responses"), (Role.admin, Role.surveyor)),
)


def nav_items() -> list[tuple[str, str]]:
    """(endpoint, label) of the areas the current user may open that exist."""
    if not current_user.is_authenticated:
        return []
    return [
        (endpoint, str(label))
        for endpoint, label, roles in NAV_ITEMS
        if current_user.role in roles and endpoint in current_app.view_functions
    ]


def configure_nav(app: Flask) -> None:
    """Make ``admin_nav()`` (and the registered endpoints) available to templates."""
    app.jinja_env.globals["admin_nav"] = nav_items
    app.jinja_env.globals["config_view_functions"] = lambda: app.view_functions
