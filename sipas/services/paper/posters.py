"""QR posters: which units get one, and the audited PDF of a unit or of a wave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sipas.models import Unit, User, Wave
from sipas.services.audit import record_event
from sipas.services.paper.issuing import printable_waves
from sipas.services.units.lookup import all_units
from sipas.services.waves.lookup import units_of

__all__ = ["NoUnits", "PosterBatch", "poster_units", "poster_waves", "posters_pdf"]


def poster_units(today: date | None = None) -> list[Unit]:
    """Units that exist today (a closed unit's poster would lead nowhere), by code."""
    day = today or date.today()
    return [unit for unit in all_units() if unit.is_valid_on(day)]


def poster_waves() -> list[Wave]:
    """Survey rounds posters are printed for: draft or open, newest first."""
    return printable_waves()


@dataclass(frozen=True)
class PosterBatch:
    """The PDF and the file name it is downloaded under."""

    data: bytes
    filename: str
    pages: int


class NoUnits(ValueError):
    """The wave has no units, so there is nothing to print."""


def posters_pdf(
    *,
    base_url: str,
    language: str,
    user: User | None,
    unit: Unit | None = None,
    wave: Wave | None = None,
) -> PosterBatch:
    """The posters of ``unit`` (with ``wave``'s title and dates if given) or of every
    unit of ``wave``; the download is recorded in the audit log (flushed)."""
    if unit is not None:
        units = [unit]
        name = f"sipas-poster-{unit.code}"
        object_type, object_id = "unit", unit.code
    elif wave is not None:
        units = units_of(wave)
        if not units:
            raise NoUnits(wave.code)
        name = f"sipas-posters-{wave.code}"
        object_type, object_id = "wave", wave.code
    else:
        raise ValueError("a unit or a wave is needed")
    # ReportLab is imported when a PDF is made, not when the app starts
    from sipas.reports.poster_pdf import render_posters

    data = render_posters(units, base_url, wave=wave, language=language)
    record_event(
        "poster.pdf",
        user=user,
        object_type=object_type,
        object_id=object_id,
        details={
            "wave": wave.code if wave is not None else None,
            "units": len(units),
            "language": language,
            "base_url": base_url,
        },
    )
    return PosterBatch(data, f"{name}.pdf", len(units))
