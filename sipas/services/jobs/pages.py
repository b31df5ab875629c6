"""The public pages of a large round, made by the worker as the round is
published, so that no visitor waits for them (a million responses: 10 s for the
round's page, 5 s for a unit's, in each language).

The work is a chain of steps, one page in one language each: the round's page,
then the pages it links to (the units it ranks), first in the default language,
then in the others. Each step queues the next one behind whatever was asked for
meanwhile, so a download is not kept waiting for all of them. A page already
kept, or being made by a visitor's request, is not made again. A step that
breaks off leaves that page to its first visitor.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale

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
    units = {unit.code: unit for unit in ranked_units(wave)}
    first = first_step()
    steps = [first, *_after_round(list(units), first.language)]
    round_state = fingerprint(wave)
    made = 0
    for step in steps:
        with force_locale(step.language):
            tag = published_tag(wave, units.get(step.unit), "page", round_state)
            made += kept_page(wave.code, tag) is not None
    return Preparation(made, len(steps))


def first_step() -> PageStep:
    """The round's own page in the default language."""
    return PageStep("", current_app.config["BABEL_DEFAULT_LOCALE"])


def make_page(wave_code: str, base_url: str, step: PageStep) -> list[PageStep]:
    """Make the page of ``step`` unless it is kept already; the steps that follow
    (after the round's own page: the pages it links to, and every page in the
    other languages). None follow once the round is no longer published."""
    wave = wave_by_code(wave_code)
    if wave is None or wave.published_at is None:
        return []
    unit = unit_by_code(step.unit) if step.unit else None
    if unit is not None or not step.unit:
        _make(wave, unit, step.language, base_url)
    if step.unit:
        return []
    return _after_round([unit.code for unit in ranked_units(wave)], step.language)


def _after_round(units: list[str], language: str) -> list[PageStep]:
    """The steps after the round's page in ``language``: its ``units`` (codes) in
    that language; after the default language's, the round and its units in the
    others."""
    steps = [PageStep(code, language) for code in units]
    if language == current_app.config["BABEL_DEFAULT_LOCALE"]:
        for other in current_app.config["LANGUAGES"]:
            if other != language:
                steps += [PageStep("", other)] + [PageStep(c, other) for c in units]
    return steps


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
                keep_page(wave.code, tag, body)
