"""What the first screen of the results tells: the headline perception figures and
the trend of the scope's indices across the rounds of one questionnaire."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import (
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Wave,
    WaveStatus,
)
from sipas.questionnaire import ItemType, Questionnaire
from sipas.reports.wave_results import KeyShare, TrendPoint
from sipas.services.results import sums
from sipas.services.results.packed import ChoiceReader
from sipas.services.units.lineage import with_predecessors
from sipas.stats.indices import Indices, Options

#: The headline perception figures provinces act on: (figure, item, counted
#: options). Items or options the questionnaire lacks are left out.
KEY_SHARES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("harassment", "harassment", ("yes",)),
    ("unofficial_payment", "unofficial_payment", ("yes",)),
    ("late", "on_time", ("late",)),
    ("trips", "trips", ("3", "4plus")),
)


def _asked(questionnaire: Questionnaire) -> list[tuple[str, str, tuple[str, ...]]]:
    """The KEY_SHARES whose single-choice item and options the questionnaire has."""
    asked = []
    for code, item_code, options in KEY_SHARES:
        if not questionnaire.has_item(item_code):
            continue
        item = questionnaire.item(item_code)
        present = {choice.code for choice in item.choices}
        if item.type is ItemType.single_choice and set(options) <= present:
            asked.append((code, item_code, options))
    return asked


def key_shares(
    wave: Wave,
    questionnaire: Questionnaire,
    in_scope: Collection[int] | None,
    options: Options,
    language: str,
    choices: ChoiceReader | None = None,
) -> tuple[KeyShare, ...]:
    """The headline perception shares of the scope, with their intervals (the
    responses' packed choices from ``choices`` if given)."""
    asked = _asked(questionnaire)
    if not asked:
        return ()
    combined: dict[str, dict[str, tuple[str, ...]]] = {}
    for _code, asked_item, chosen in asked:
        combined.setdefault(asked_item, {})["+".join(chosen)] = chosen
    shares = sums.wave_shares(
        wave,
        list(combined),
        options,
        within=in_scope,
        combined=combined,
        choices=choices,
    )
    found = []
    for code, item_code, chosen in asked:
        option = "+".join(chosen)
        share = next((s for s in shares[item_code] if s.option == option), None)
        if share is None:
            continue  # nobody answered the question in this scope
        item = questionnaire.item(item_code)
        labels = {c.code: c.label.get_text(language) for c in item.choices}
        found.append(
            KeyShare(
                code=code,
                item=item_code,
                options=chosen,
                question=item.label.get_text(language),
                answers=tuple(labels[c] for c in chosen),
                share=share,
            )
        )
    return tuple(found)


def _rounds_query(wave: Wave) -> sa.Select:
    """Other non-draft waves of the wave's questionnaire code with counted
    responses."""
    same_code = sa.select(QuestionnaireVersion.id).where(
        QuestionnaireVersion.code == wave.questionnaire.code
    )
    has_responses = sa.exists().where(
        Response.wave_id == Wave.id, Response.status == ResponseStatus.complete
    )
    return sa.select(Wave).where(
        Wave.id != wave.id,
        Wave.questionnaire_id.in_(same_code),
        Wave.status != WaveStatus.draft,
        has_responses,
    )


def earlier_rounds(wave: Wave) -> Sequence[Wave]:
    """The waves of the same questionnaire before ``wave`` that have responses,
    newest first (by start date, then by creation)."""
    earlier: sa.ColumnElement[bool] = Wave.id < wave.id
    if wave.starts_on is not None:
        earlier = sa.or_(
            Wave.starts_on < wave.starts_on,
            sa.and_(Wave.starts_on.is_(None), Wave.id < wave.id),
        )
    return db.session.scalars(
        _rounds_query(wave)
        .where(earlier)
        .order_by(Wave.starts_on.desc().nulls_last(), Wave.id.desc())
    ).all()


def scope_indices(
    wave: Wave, in_scope: Collection[int] | None, options: Options
) -> Indices | None:
    """The indices of an earlier wave for the units that ``in_scope`` continues
    (through mergers); None when none of them answered."""
    data = sums.wave_data(wave)
    if in_scope is None:
        return data.indices(options)
    rows = data.rows_of_units(with_predecessors(in_scope))
    if not rows.any():
        return None
    return data.indices(options, rows)


def trend(
    wave: Wave,
    indices: Indices,
    earlier: Sequence[tuple[Wave, Indices | None]],
) -> tuple[TrendPoint, ...]:
    """The scope's indices in each earlier wave that has some (oldest first), then
    in ``wave``."""
    points = [TrendPoint(w, found) for w, found in reversed(earlier) if found]
    return (*points, TrendPoint(wave, indices))
