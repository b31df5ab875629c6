"""QR posters: which units get one, and the audited PDF of a unit or of a wave."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sipas.models import Unit, User, Wave
from sipas.services.audit import record_event
from sipas.services.paper.issuing import printable_waves
from sipas.services.units.lookup import all_units
from sipas.services.waves.lookup import units_of

__all__ = [
    "NoUnits",
    "PosterBatch",
    "poster_count",
    "poster_units",
    "poster_waves",
    "posters_pdf",
    "record_poster_download",
    "round_posters",
]


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


#: Told (posters laid out, posters in all) as the work goes on.
Progress = Callable[[int, int], None]


class NoUnits(ValueError):
    """The wave has no units, so there is nothing to print."""


def posters_pdf(
    *,
    base_url: str,
    language: str,
    user: User | None,
    unit: Unit | None = None,
    wave: Wave | None = None,
    progress: Progress | None = None,
) -> PosterBatch:
    """The posters of ``unit`` (with ``wave``'s title and dates if given) or of every
    unit of ``wave``; the download is recorded in the audit log (flushed).
    ``progress`` hears (posters laid out, posters in all) as they are."""
    if unit is not None:
        batch = _render([unit], f"sipas-poster-{unit.code}", base_url, language, wave)
        object_type, object_id = "unit", unit.code
    elif wave is not None:
        batch = round_posters(wave, base_url, language, progress)
        object_type, object_id = "wave", wave.code
    else:
        raise ValueError("a unit or a wave is needed")
    record_poster_download(
        user, object_type, object_id, wave, batch.pages, language, base_url
    )
    return batch


def round_posters(
    wave: Wave, base_url: str, language: str, progress: Progress | None = None
) -> PosterBatch:
    """The posters of every unit of ``wave``, unrecorded (a job's file is recorded
    when it is downloaded); NoUnits when it has none."""
    units = units_of(wave)
    if not units:
        raise NoUnits(wave.code)
    name = f"sipas-posters-{wave.code}"
    return _render(units, name, base_url, language, wave, progress)


def poster_count(wave: Wave) -> int:
    """How many posters ``wave`` takes: one for each of its units."""
    return len(units_of(wave))


def record_poster_download(
    user: User | None,
    object_type: str,
    object_id: str,
    wave: Wave | None,
    units: int,
    language: str,
    base_url: str,
    **more: object,
) -> None:
    """Record that posters were downloaded (flushed)."""
    record_event(
        "poster.pdf",
        user=user,
        object_type=object_type,
        object_id=object_id,
        details={
            "wave": wave.code if wave is not None else None,
            "units": units,
            "language": language,
            "base_url": base_url,
            **more,
        },
    )


def _render(
    units: list[Unit],
    name: str,
    base_url: str,
    language: str,
    wave: Wave | None,
    progress: Progress | None = None,
) -> PosterBatch:
    # ReportLab is imported when a PDF is made, not when the app starts
    from sipas.reports.poster_pdf import render_posters

    data = render_posters(units, base_url, wave, language, progress)
    return PosterBatch(data, f"{name}.pdf", len(units))
