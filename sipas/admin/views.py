"""Administrator pages."""

from __future__ import annotations

from flask import render_template

from sipas.admin import bp
from sipas.auth.decorators import role_required
from sipas.models import Role
from sipas.services.progress import waves_overview


@bp.get("/")
@role_required(Role.admin)
def index():  # type: ignore[no-untyped-def]
    """Every wave with the responses collected per unit against the target."""
    return render_template("admin/index.html", overview=waves_overview())
