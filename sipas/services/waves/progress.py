"""How far each wave has come: responses per unit against the target sample."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Channel, Response, ResponseStatus, Unit, Wave
from sipas.services.waves.lookup import visible_waves, wave_units


@dataclass(frozen=True)
class UnitProgress:
    unit: Unit
    target_sample: int | None
    population: int | None
    responses: int

    @property
    def share_of_target(self) -> float | None:
        """Responses as a fraction of the target, when a target is set."""
        return self.responses / self.target_sample if self.target_sample else None


@dataclass(frozen=True)
class WaveProgress:
    wave: Wave
    units: tuple[UnitProgress, ...]

    @property
    def responses(self) -> int:
        """All counted responses of the wave."""
        return sum(unit.responses for unit in self.units)

    @property
    def target_sample(self) -> int:
        """The sum of the units' targets (unset targets count 0)."""
        return sum(unit.target_sample or 0 for unit in self.units)

    @property
    def share_of_target(self) -> float | None:
        """Responses as a fraction of the summed target, when one is set."""
        target = self.target_sample
        return self.responses / target if target else None


def waves_overview(visible: set[int] | None = None) -> list[WaveProgress]:
    """Progress of every wave, newest first, with one grouped count query; only the
    units in ``visible`` (None: all), and only waves that have some of them."""
    counts = _counts()
    return [_wave_progress(wave, counts, visible) for wave in visible_waves(visible)]


def _counts() -> dict[tuple[int, int], int]:
    """Complete responses per (wave id, unit id)."""
    rows = db.session.execute(
        sa.select(Response.wave_id, Response.unit_id, sa.func.count())
        .where(Response.status == ResponseStatus.complete)
        .group_by(Response.wave_id, Response.unit_id)
    )
    return {(wave_id, unit_id): count for wave_id, unit_id, count in rows}


def _wave_progress(
    wave: Wave, counts: dict[tuple[int, int], int], visible: set[int] | None
) -> WaveProgress:
    in_scope = wave_units(wave, visible)
    units = tuple(
        UnitProgress(
            unit=wu.unit,
            target_sample=wu.target_sample,
            population=wu.population,
            responses=counts.get((wave.id, wu.unit_id), 0),
        )
        for wu in in_scope
    )
    return WaveProgress(wave=wave, units=units)


@dataclass(frozen=True)
class UnitChannelProgress:
    """Counted responses of one unit of a wave, per channel, against its target."""

    unit: Unit
    target_sample: int | None
    by_channel: dict[Channel, int]

    @property
    def responses(self) -> int:
        return sum(self.by_channel.values())

    @property
    def share_of_target(self) -> float | None:
        """Responses as a fraction of the target, when a target is set."""
        return self.responses / self.target_sample if self.target_sample else None


@dataclass(frozen=True)
class ChannelProgress:
    """A wave's progress per unit and channel (units in the reader's scope)."""

    wave: Wave
    units: tuple[UnitChannelProgress, ...]

    @property
    def by_channel(self) -> dict[Channel, int]:
        return {c: sum(u.by_channel[c] for u in self.units) for c in Channel}

    @property
    def responses(self) -> int:
        return sum(u.responses for u in self.units)

    @property
    def target_sample(self) -> int:
        return sum(u.target_sample or 0 for u in self.units)

    @property
    def share_of_target(self) -> float | None:
        target = self.target_sample
        return self.responses / target if target else None

    def as_json(self) -> dict:
        """The figures for the page's polling script."""
        return {
            "wave": self.wave.code,
            "status": self.wave.status.value,
            "responses": self.responses,
            "target_sample": self.target_sample,
            "share_of_target": self.share_of_target,
            "by_channel": {c.value: n for c, n in self.by_channel.items()},
            "units": [
                {
                    "code": u.unit.code,
                    "name": u.unit.name,
                    "target_sample": u.target_sample,
                    "responses": u.responses,
                    "share_of_target": u.share_of_target,
                    "by_channel": {c.value: n for c, n in u.by_channel.items()},
                }
                for u in self.units
            ],
        }


def channel_progress(wave: Wave, visible: set[int] | None = None) -> ChannelProgress:
    """Complete responses per unit and channel of ``wave`` (units in ``visible``)."""
    rows = db.session.execute(
        sa.select(Response.unit_id, Response.channel, sa.func.count())
        .where(Response.wave_id == wave.id, Response.status == ResponseStatus.complete)
        .group_by(Response.unit_id, Response.channel)
    )
    counts: dict[int, dict[Channel, int]] = {}
    for unit_id, channel, n in rows:
        counts.setdefault(unit_id, {})[Channel(channel)] = n
    units = tuple(
        UnitChannelProgress(
            unit=wu.unit,
            target_sample=wu.target_sample,
            by_channel={c: counts.get(wu.unit_id, {}).get(c, 0) for c in Channel},
        )
        for wu in wave_units(wave, visible)
    )
    return ChannelProgress(wave=wave, units=units)
