"""The published results of a round for the public pages and the hall poster, as
data: what the results service hands the renderers. Imports no service."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from sipas.models import Unit
from sipas.reports.wave_results import KeyShare, RankedUnit, WaveResults

#: The poster's page sizes, by the name the address takes (?size=a3).
POSTER_SIZE_NAMES = ("a4", "a3")


def answers_text(figure: KeyShare) -> str:
    """The counted answers in quotes: “3 lần” or “Trên 3 lần”."""
    separator = " " + _("or") + " "
    return separator.join(f"“{answer}”" for answer in figure.answers)


@dataclass(frozen=True)
class PublishedResults:
    """What the public page and poster of a round (or of one unit in it) show."""

    results: WaveResults
    published_at: datetime

    @property
    def perceptions(self) -> tuple[KeyShare, ...]:
        """The headline perception figures (harassment, unofficial payments, late
        results, repeated trips), as the dashboard shows them."""
        return self.results.key_shares

    @property
    def unit(self) -> Unit | None:
        """The unit the page is about (None: the whole round)."""
        return self.results.root

    @property
    def ranking_shown(self) -> tuple[RankedUnit, ...]:
        """The ranked units whose SIPAS may be published, best first."""
        return tuple(u for u in self.results.ranking if self._publishable(u))

    @property
    def ranking_hidden(self) -> tuple[RankedUnit, ...]:
        """The ranked units with too few answers (listed without rank or figure)."""
        return tuple(u for u in self.results.ranking if not self._publishable(u))

    def _publishable(self, unit: RankedUnit) -> bool:
        value = unit.overall.estimate.value
        return math.isfinite(value) and not self.results.thresholds.is_small(
            unit.overall
        )

    def is_small(self, figure: KeyShare) -> bool:
        """True when a perception figure rests on too few responses to publish."""
        return self.results.thresholds.is_small_estimate(figure.share.estimate)
