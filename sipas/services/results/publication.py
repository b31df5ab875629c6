"""The published results of a round: the dashboard's results (no breakdowns, no
row-level data, no comment), with its four headline perception figures; the
public page that shows them, and the tag it is kept under."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.i18n import current_language
from sipas.models import Response, ResponseStatus, Unit, Wave, WaveUnit
from sipas.reports import figures
from sipas.reports.method import method_paragraph
from sipas.reports.published import POSTER_SIZE_NAMES, PublishedResults, answers_text
from sipas.services.results.compute import ranking_groups
from sipas.services.results.dashboard import compute_results, fingerprint


def published_results(wave: Wave, root: Unit | None) -> PublishedResults:
    """The round's results for the subtree under ``root`` as the public page and
    the poster show them (the caller checks that the round is published)."""
    if wave.published_at is None:
        raise ValueError(f"the results of {wave.code} are not published")
    results = compute_results(wave, root, group_items=())
    return PublishedResults(results=results, published_at=wave.published_at)


def render_published_page(wave: Wave, unit: Unit | None) -> str:
    """The public page of the round (or of ``unit`` in it) in the current
    language (needs a request context: the page links to others)."""
    document = published_results(wave, unit)
    return render_template(
        "public/results/wave.html",
        doc=document,
        r=document.results,
        fig=figures,
        method=method_paragraph(document.results),
        poster_sizes=POSTER_SIZE_NAMES,
        answers_text=answers_text,
        title=_page_title(wave, unit),
    )


def published_tag(
    wave: Wave, unit: Unit | None, kind: str, round_state: str | None = None
) -> str:
    """The ETag of a public page or poster (``kind``): it changes with the
    publication, the language and anything the figures rest on (``round_state``:
    the round's fingerprint, when the caller has it already)."""
    parts = (
        kind,
        wave.code,
        wave.published_at.isoformat() if wave.published_at else "",
        unit.code if unit is not None else "",
        current_language(),
        round_state or fingerprint(wave),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def ranked_units(wave: Wave) -> list[Unit]:
    """The units the round's public page ranks, and so links to (by code)."""
    # the round's units with counted responses, as the results take them
    taking_part = sa.select(WaveUnit.unit_id).where(WaveUnit.wave_id == wave.id)
    responding = (
        sa.select(Response.unit_id)
        .where(
            Response.wave_id == wave.id,
            Response.status == ResponseStatus.complete,
            Response.unit_id.in_(taking_part),
        )
        .distinct()
    )
    units = db.session.scalars(sa.select(Unit).where(Unit.id.in_(responding))).all()
    _root, groups = ranking_groups(None, units)
    ranked = {unit.id: unit for unit in groups.values()}
    return sorted(ranked.values(), key=lambda u: u.code) if len(ranked) > 1 else []


def _page_title(wave: Wave, unit: Unit | None) -> str:
    if unit is None:
        return _("Results of %(round)s", round=wave.title)
    return _("Results of %(unit)s, %(round)s", unit=unit.name, round=wave.title)
