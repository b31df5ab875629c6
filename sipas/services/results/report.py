"""The PDF report of a wave for a unit subtree: results, heading and rendering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.labels import CHANNEL_LABELS
from sipas.models import (
    Channel,
    Response,
    ResponseStatus,
    Unit,
    UnitLevel,
    Wave,
    WaveUnit,
)
from sipas.reports.wave_results import Thresholds, WaveResults
from sipas.services.results.compute import wave_results
from sipas.services.units.tree import ancestors, subtree_ids

if TYPE_CHECKING:
    from sipas.reports.pdf import RenderedReport

#: Levels whose issuing body is their People's Committee (UBND).
COMMITTEE_LEVELS = (UnitLevel.province, UnitLevel.district, UnitLevel.commune)
#: Words that start a province's name but not its short name ("Tỉnh Quảng Ninh").
PROVINCE_PREFIXES = ("Tỉnh ", "Thành phố ", "TP. ")


class NoResponses(Exception):
    """The wave has no complete response in the subtree: nothing to report."""


def has_responses(wave: Wave, root: Unit | None) -> bool:
    """True if the wave holds a complete response in the subtree under ``root``."""
    query = sa.select(Response.id).where(
        Response.wave_id == wave.id, Response.status == ResponseStatus.complete
    )
    if root is not None:
        query = query.where(Response.unit_id.in_(subtree_ids(root.id)))
    return db.session.scalar(query.limit(1)) is not None


def channel_labels() -> dict[str, str]:
    """{channel value: label} in the current language, for wave_results."""
    return {channel.value: str(CHANNEL_LABELS[channel]) for channel in Channel}


def report_results(wave: Wave, root: Unit | None, language: str) -> WaveResults:
    """What the report shows, with the thresholds and labels of the dashboard."""
    config = current_app.config
    with force_locale(language):
        return wave_results(
            wave,
            root,
            thresholds=Thresholds(
                config["STATS_MIN_N"], config["STATS_MIN_EFFECTIVE_N"]
            ),
            language=language,
            channel_labels=channel_labels(),
            channel_title=_("Channel"),
        )


def top_unit(wave: Wave, root: Unit | None) -> Unit | None:
    """The root's topmost ancestor, or that of the wave's first unit."""
    unit = root
    if unit is None:
        unit = db.session.scalar(
            sa.select(Unit)
            .join(WaveUnit, WaveUnit.unit_id == Unit.id)
            .where(WaveUnit.wave_id == wave.id)
            .order_by(WaveUnit.id)
            .limit(1)
        )
    if unit is None:
        return None
    chain = ancestors(unit)
    return chain[0] if chain else unit


def issuer_lines(wave: Wave, root: Unit | None) -> tuple[str, ...]:
    """REPORT_ISSUER (lines), else the People's Committee of the root (or top) unit."""
    configured = current_app.config.get("REPORT_ISSUER")
    if configured:
        return tuple(line.strip() for line in configured.splitlines() if line.strip())
    unit = root or top_unit(wave, None)
    if unit is None:
        return ()
    name = unit.name.upper()
    return (f"UBND {name}",) if unit.level in COMMITTEE_LEVELS else (name,)


def place_name(wave: Wave, root: Unit | None) -> str:
    """REPORT_PLACE, else the short name of the province the report is about."""
    configured = current_app.config.get("REPORT_PLACE")
    if configured:
        return str(configured)
    start = root or top_unit(wave, None)
    if start is None:
        return ""
    chain = [*ancestors(start), start]
    province = next((u for u in chain if u.level is UnitLevel.province), chain[0])
    for prefix in PROVINCE_PREFIXES:
        if province.name.startswith(prefix):
            return province.name[len(prefix) :]
    return province.name


def today() -> date:
    """Today in the configured time zone (the report's date)."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.now(zone).date()


def build_report(
    wave: Wave,
    root: Unit | None,
    language: str,
    progress: Callable[[str], None] | None = None,
) -> RenderedReport:
    """Compute the results and render the PDF, telling ``progress`` each stage."""
    if not has_responses(wave, root):
        raise NoResponses(wave.code)
    say = progress or (lambda _stage: None)
    with force_locale(language):
        say(_("Computing the results…"))
    # ReportLab is imported when a PDF is made, not when the app starts
    from sipas.reports.pdf import render
    from sipas.reports.pdf_heading import Masthead

    results = report_results(wave, root, language)
    head = Masthead(issuer_lines(wave, root), place_name(wave, root), today())
    with force_locale(language):
        say(_("Laying out the pages…"))
    return render(results, head)


def report_pdf(wave: Wave, root: Unit | None, language: str) -> bytes:
    """The PDF report of ``wave`` for the subtree under ``root`` (None: all units);
    NoResponses if there is nothing to report."""
    return build_report(wave, root, language).data
