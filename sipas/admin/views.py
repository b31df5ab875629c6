"""Administrator pages."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from sipas.admin import bp
from sipas.auth.decorators import READERS, role_required
from sipas.services.progress import waves_overview
from sipas.services.unit_tree import visible_unit_ids


@bp.get("/")
@role_required(*READERS)
def index():  # type: ignore[no-untyped-def]
    """Every wave with the responses collected per unit (in the user's scope)
    against the target."""
    overview = waves_overview(visible_unit_ids(current_user))
    return render_template("admin/index.html", overview=overview)
