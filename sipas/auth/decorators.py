"""Role and unit-scope checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from sipas.models import Role, Unit
from sipas.services.units.tree import can_see

#: Who may read results: dashboards, downloads, reports, progress, responses.
READERS = (Role.admin, Role.analyst)


def role_required(*roles: Role) -> Callable:
    """Allow the view only to logged-in users with one of ``roles`` (else 403)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def require_scope(unit: Unit) -> Unit:
    """``unit`` if the current user may see it; a 403 otherwise."""
    if not can_see(current_user, unit):
        abort(403)
    return unit
