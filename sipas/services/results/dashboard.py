"""Which waves and units a reader may open on the results pages, and a cheap
fingerprint of everything a wave's results depend on (to reuse a rendered page)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Sequence

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from sipas.collector import cycles_collected_after, made_with_collector_paused
from sipas.extensions import db
from sipas.i18n import current_language
from sipas.labels import CHANNEL_LABELS
from sipas.models import Response, ResponseStatus, Unit, Wave, WaveUnit
from sipas.reports.wave_results import Thresholds, WaveResults
from sipas.services.questionnaires import parsed
from sipas.services.results import exports, parquet, workbook
from sipas.services.results.compute import (
    respondent_items,
    responding_root_choices,
    wave_results,
)
from sipas.services.results.headline import earlier_rounds
from sipas.services.units.tree import ancestors, subtree_ids


def channel_labels() -> dict[str, str]:
    """Channel codes and their names in the current language."""
    return {channel.value: str(label) for channel, label in CHANNEL_LABELS.items()}


def compute_results(
    wave: Wave, root: Unit | None, group_items: Sequence[str] | None = None
) -> WaveResults:
    """The wave's results for the subtree under ``root`` as pages show them: the
    configured small-sample thresholds, the current language's labels; broken down
    by ``group_items`` (default: every question about the respondent)."""
    config = current_app.config
    return wave_results(
        wave,
        root,
        group_items=group_items,
        thresholds=Thresholds(config["STATS_MIN_N"], config["STATS_MIN_EFFECTIVE_N"]),
        language=current_language(),
        channel_labels=channel_labels(),
        channel_title=_("Channel"),
    )


def export_file(
    wave: Wave,
    root: Unit | None,
    fmt: str,
    progress: exports.Progress | None = None,
) -> bytes | Iterator[bytes]:
    """A download (``fmt``: csv, xlsx, json or parquet) of the wave's results under
    ``root``: the stats CSV and the Parquet file as chunks made while they are read,
    the others whole; ``progress`` hears ``(responses done, responses total)`` as
    the responses are written (not for JSON). A wave that
    cannot be weighted raises :class:`WeightingError` here, before any byte."""
    in_scope = subtree_ids(root.id) if root is not None else None
    # a file of every response makes millions of short-lived objects
    if fmt == "csv":
        chunks = exports.stats_csv_chunks(wave, in_scope, progress)
        return made_with_collector_paused(chunks)
    if fmt == "parquet":
        chunks = parquet.stats_parquet_chunks(wave, in_scope, progress)
        return made_with_collector_paused(chunks)
    with cycles_collected_after():
        results = compute_results(wave, root)
        if fmt == "json":
            return exports.results_json(results).encode()
        labels = channel_labels()
        return workbook.results_workbook(results, in_scope, labels, progress)


def group_choices(wave: Wave) -> dict[str, str]:
    """Questions about the respondent the page can break results down by: code →
    wording in the current language."""
    questionnaire = parsed(wave.questionnaire)
    language = current_language()
    return {
        code: questionnaire.item(code).label.get_text(language)
        for code in respondent_items(questionnaire)
    }


def root_choices(wave: Wave, visible: Collection[int] | None) -> list[Unit]:
    """Subtrees of the wave one may ask results for, within ``visible``."""
    return [
        unit
        for unit in responding_root_choices(wave)
        if visible is None or unit.id in visible
    ]


def depth(unit: Unit) -> int:
    """How many ancestors a unit has (0 for a province)."""
    return len(ancestors(unit))


def counted_responses(wave: Wave, unit_ids: Collection[int] | None) -> int:
    """Counted (complete) responses of the wave, within ``unit_ids`` if given."""
    query = sa.select(sa.func.count()).where(
        Response.wave_id == wave.id, Response.status == ResponseStatus.complete
    )
    if unit_ids is not None:
        query = query.where(Response.unit_id.in_(sorted(unit_ids)))
    return int(db.session.scalar(query) or 0)


def fingerprint(wave: Wave) -> str:
    """A digest that changes whenever the wave's results may change: its counted
    responses (answers never change once stored), design, unit populations, the unit
    tree and the earlier waves it is compared with."""
    digest = hashlib.sha256()
    _add_wave(digest, wave)
    for earlier in earlier_rounds(wave):  # the trend and the change
        _add_wave(digest, earlier)
    units = db.session.execute(
        sa.select(
            Unit.id, Unit.parent_id, Unit.code, Unit.name, Unit.successor_id
        ).order_by(Unit.id)
    ).all()
    digest.update(repr(units).encode())
    return digest.hexdigest()


def _add_wave(digest: hashlib._Hash, wave: Wave) -> None:
    counts: Sequence = db.session.execute(
        sa.select(
            sa.func.count(), sa.func.sum(Response.id), sa.func.max(Response.id)
        ).where(Response.wave_id == wave.id, Response.status == ResponseStatus.complete)
    ).one()
    populations = db.session.execute(
        sa.select(WaveUnit.unit_id, WaveUnit.population)
        .where(WaveUnit.wave_id == wave.id)
        .order_by(WaveUnit.unit_id)
    ).all()
    design = (
        wave.id,
        wave.code,
        wave.title,
        wave.questionnaire_id,
        wave.starts_on,
        wave.status,
        wave.strata_level,
        wave.psu_level,
        wave.weighting,
        repr(wave.calibration_margins),
    )
    digest.update(repr((tuple(counts), design, populations)).encode())
