"""The public pages of a large round, made by the worker as the round is
published, so that no visitor waits for them (a million responses: 10 s for the
round's page, 5 s for a unit's, in each language).

The work is a chain of steps, one page in one language each, listed when it is
queued: the round's page, then the pages it links to (the units it ranks), first
in the default language, then in the others. Each step queues the next one
behind whatever was asked for meanwhile, so a download is not kept waiting for
all of them. A page already kept, or being made by a visitor's request, is not
made again. A step that breaks off leaves that page to its first visitor; a
round taken down ends the chain, and a page whose round was taken down while it
was computed is not kept. A change to a published round after its pages were
made is caught by the worker within minutes (``missing_steps``, queued again by
``refresh_pages`` in queue.py), and its pages are made again.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from sipas.extensions import db
from sipas.models import Unit, Wave
from sipas.services.jobs.lifecycle import speaking
from sipas.services.results.dashboard import counted_responses, fingerprint
from sipas.services.results.publication import (
    published_tag,
    ranked_units,
    render_published_page,
)
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from sipas.services.waves.published_pages import building, keep_page, kept_page


@dataclass(frozen=True)
class PageStep:
    """One page to make: of the round (``unit`` empty) or one of its units."""

    unit: str
    language: str


def worth_preparing(wave: Wave) -> bool:
    """True when the round has enough counted responses that its pages are made
    in the background (JOBS_MIN_RESULTS_RESPONSES, as for the dashboard)."""
    return (
        counted_responses(wave, None)
        >= current_app.config["JOBS_MIN_RESULTS_RESPONSES"]
    )


@dataclass(frozen=True)
class Preparation:
    """How far the making of a round's public pages is."""

    made: int
    total: int


def preparation(wave: Wave) -> Preparation | None:
    """How many of the pages the worker makes for a published round are kept;
    None for a round not published or too small to have them made."""
    if wave.published_at is None or not worth_preparing(wave):
        return None
    kept = _steps_kept(wave)
    return Preparation(sum(found for _, found in kept), len(kept))


def missing_steps(wave: Wave) -> list[PageStep]:
    """The steps of ``every_step`` whose page is not kept for the round as it is
    now: none once they are made, all of them after a change to what they rest
    on (a unit renamed, a response voided, a population corrected)."""
    return [step for step, found in _steps_kept(wave) if not found]


def _steps_kept(wave: Wave) -> list[tuple[PageStep, bool]]:
    """Each step of ``every_step``, and whether its page is kept (one
    fingerprint of the round for all of them)."""
    units = {unit.code: unit for unit in ranked_units(wave)}
    round_state = fingerprint(wave)
    kept = []
    for step in _steps(list(units)):
        with force_locale(step.language):
            tag = published_tag(wave, units.get(step.unit), "page", round_state)
        kept.append((step, kept_page(wave.code, tag) is not None))
    return kept


def every_step(wave: Wave) -> list[PageStep]:
    """The round's pages to make, in order: its own page, then the pages it
    links to (the units it ranks), in the default language, then in the others."""
    return _steps([unit.code for unit in ranked_units(wave)])


def _steps(units: list[str]) -> list[PageStep]:
    """The round's page and those of ``units`` (codes), language by language."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = [default, *(c for c in current_app.config["LANGUAGES"] if c != default)]
    return [PageStep(code, language) for language in languages for code in ["", *units]]


def make_page(wave_code: str, base_url: str, step: PageStep) -> bool:
    """Make the page of ``step`` unless it is kept already (or its unit is gone);
    False when the round is no longer published: its other pages are not made."""
    wave = wave_by_code(wave_code)
    if wave is None or wave.published_at is None:
        return False
    unit = unit_by_code(step.unit) if step.unit else None
    if unit is not None or not step.unit:
        _make(wave, unit, step.language, base_url)
    return True


def _make(wave: Wave, unit: Unit | None, language: str, base_url: str) -> None:
    """Render and keep one page as its visitor's request would (its address, so
    its links and language switch are the same), unless it is kept already."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if unit is None:
        endpoint, values = "public.published_wave", {"wave_code": wave.code}
    else:
        endpoint = "public.published_unit"
        values = {"wave_code": wave.code, "unit_code": unit.code}
    path = app.url_map.bind("").build(endpoint, values)
    with app.test_request_context(path=path, base_url=base_url), speaking(language):
        tag = published_tag(wave, unit, "page")
        if kept_page(wave.code, tag) is not None:
            return
        with building(wave.code, tag):
            if kept_page(wave.code, tag) is None:  # a visitor's request made it
                body = render_published_page(wave, unit).encode()
                if _published_since(wave):  # not taken down while it was computed
                    keep_page(wave.code, tag, body)


def _published_since(wave: Wave) -> bool:
    """Whether the round is still published as it was when read (asked on a
    connection of its own: this one's transaction may not see a newer commit)."""
    with db.engine.connect() as connection:
        now = connection.scalar(sa.select(Wave.published_at).where(Wave.id == wave.id))
    return now is not None and now == wave.published_at
