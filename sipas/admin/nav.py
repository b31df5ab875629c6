"""The back office's navigation: five groups of areas, and the areas of each group
that the current user's role may open."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from sipas.models import Role

_READERS = (Role.admin, Role.analyst)
_ADMIN = (Role.admin,)
_ENTRY = (Role.admin, Role.surveyor)


@dataclass(frozen=True)
class NavLink:
    """An area of the back office: its first page, and the endpoints (by prefix)
    whose pages belong to it."""

    endpoint: str
    label: LazyString
    roles: tuple[Role, ...]
    #: endpoints starting with one of these are pages of this area (the longest
    #: matching prefix of all areas wins)
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NavGroup:
    """A menu entry: it leads to its first area the user may open."""

    label: LazyString
    links: tuple[NavLink, ...]


#: The menu, in order; each group's areas in the order of its tabs.
NAV_GROUPS = (
    NavGroup(
        _l("Results"),
        (
            NavLink("admin.dashboard", _l("Results"), _READERS, ("admin.wave_dash",)),
            NavLink(
                "admin.responses",
                _l("Response list"),
                _READERS,
                ("admin.response", "admin.accept_many"),
            ),
            NavLink("admin.jobs", _l("My downloads"), _READERS, ("admin.job",)),
        ),
    ),
    NavGroup(
        _l("Rounds"),
        (
            NavLink("admin.index", _l("Survey rounds"), _READERS, ("admin.wave",)),
            NavLink(
                "admin.questionnaires",
                _l("Questionnaires"),
                _ADMIN,
                ("admin.questionnaire",),
            ),
            NavLink("admin.paper_forms", _l("Paper forms"), _ADMIN, ("admin.paper",)),
            NavLink("admin.posters", _l("QR posters"), _ADMIN),
            NavLink("admin.devices_list", _l("Kiosks"), _ADMIN, ("admin.device",)),
        ),
    ),
    NavGroup(
        _l("Data entry"),
        (
            NavLink("entry.index", _l("Paper entry"), _ENTRY, ("entry.",)),
            NavLink("entry.import_responses", _l("Import responses"), _ENTRY),
            # a surveyor's jobs are their large imports (readers find theirs above)
            NavLink(
                "admin.jobs", _l("My large imports"), (Role.surveyor,), ("admin.job",)
            ),
        ),
    ),
    NavGroup(
        _l("Units"), (NavLink("admin.units", _l("Units"), _ADMIN, ("admin.unit",)),)
    ),
    NavGroup(
        _l("Administration"),
        (
            NavLink("admin.users", _l("Accounts"), _ADMIN, ("admin.user",)),
            NavLink("admin.audit_log", _l("Audit log"), _ADMIN),
        ),
    ),
)


@dataclass(frozen=True)
class MenuLink:
    """A link as the layout draws it."""

    endpoint: str
    label: str
    #: "page" on the link's own page, "true" on another page of its area or group
    current: str | None


@dataclass(frozen=True)
class MenuGroup:
    """A menu entry as the layout draws it, with the tabs of its areas."""

    label: str
    endpoint: str
    current: str | None
    links: tuple[MenuLink, ...]


def _may_open(link: NavLink) -> bool:
    return (
        current_user.role in link.roles and link.endpoint in current_app.view_functions
    )


def current_area(endpoint: str | None, links: list[NavLink]) -> NavLink | None:
    """The area whose page ``endpoint`` is: the longest matching prefix wins."""
    if not endpoint:
        return None
    matches = [
        (len(prefix), link)
        for link in links
        for prefix in (link.endpoint, *link.prefixes)
        if endpoint == link.endpoint or endpoint.startswith(prefix)
    ]
    return max(matches, key=lambda match: match[0])[1] if matches else None


def _mark(link: NavLink, area: NavLink | None, endpoint: str | None) -> str | None:
    if link is not area:
        return None
    return "page" if endpoint == link.endpoint else "true"


def admin_menu() -> list[MenuGroup]:
    """The groups the current user may open, each with its areas and which is
    current."""
    if not current_user.is_authenticated:
        return []
    groups = [
        (group, [link for link in group.links if _may_open(link)])
        for group in NAV_GROUPS
    ]
    groups = [(group, links) for group, links in groups if links]
    # a page may say which area it belongs to (an import's job page: importing)
    endpoint = g.get("nav_endpoint") or request.endpoint
    area = current_area(endpoint, [link for _, links in groups for link in links])
    menu = []
    for group, links in groups:
        marks = [
            MenuLink(ln.endpoint, str(ln.label), _mark(ln, area, endpoint))
            for ln in links
        ]
        first = marks[0]
        is_current = any(mark.current for mark in marks)
        menu.append(
            MenuGroup(
                str(group.label),
                first.endpoint,
                (first.current or "true") if is_current else None,
                tuple(marks),
            )
        )
    return menu


def configure_nav(app: Flask) -> None:
    """Make ``admin_menu()`` (and the registered endpoints) available to templates."""
    app.jinja_env.globals["admin_menu"] = admin_menu
    app.jinja_env.globals["config_view_functions"] = lambda: app.view_functions
