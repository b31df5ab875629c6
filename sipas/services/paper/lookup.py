"""Finding paper forms for a request."""

from __future__ import annotations

from flask import abort

from sipas.models import PaperForm
from sipas.services.paper.issuing import batch_forms


def batch_or_404(batch: str) -> list[PaperForm]:
    """The forms of one batch in serial order; 404 if there is no such batch."""
    forms = batch_forms(batch)
    if not forms:
        abort(404)
    return forms
