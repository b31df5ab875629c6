"""The packed choice answers of a wave's counted responses, read in one scan.

Each response stores its choice answers in a few bytes (`Response.choice_codes`,
sipas/questionnaire/choices.py). Option shares and breakdowns by a respondent
question read those, one short value per response from the statistics index,
instead of a join of the answer rows (a million responses: ~1 s, not ~10 s). A
wave with a response stored before the column existed, or holding an answer
outside its question's options, has none: callers then read the answer rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter

import numpy as np
import sqlalchemy as sa

from sipas.database import row_batches
from sipas.models import Response, ResponseStatus, Wave
from sipas.questionnaire.choices import ChoiceLayout, choice_layout
from sipas.services.questionnaires import parsed
from sipas.stats.choice_codes import packed_matrix

#: Rows taken from the database cursor at a time.
FETCH_ROWS = 100_000
#: A unit's id times this plus a response's id (below it) is one integer.
UNIT_FACTOR = 1 << 32


@dataclass(frozen=True)
class PackedChoices:
    """The counted responses' unit, id and packed choices (one row each)."""

    unit_id: np.ndarray
    response_id: np.ndarray
    #: responses × bytes (sipas/stats/choice_codes.py reads the slots)
    matrix: np.ndarray
    layout: ChoiceLayout

    def within(self, units: Collection[int]) -> PackedChoices:
        """The responses of ``units`` only."""
        mine = np.isin(self.unit_id, np.fromiter(units, np.int64, len(units)))
        return PackedChoices(
            self.unit_id[mine], self.response_id[mine], self.matrix[mine], self.layout
        )


class ChoiceReader:
    """A wave's packed choices read once, when first asked for, for the shares and
    breakdowns of one computation (a million responses take a second to read)."""

    def __init__(self, wave: Wave) -> None:
        self.wave = wave

    @cached_property
    def everyone(self) -> PackedChoices | None:
        """The packed choices of every counted response (None: the wave has none)."""
        return packed_choices(self.wave)

    def of(self, within: Collection[int] | None = None) -> PackedChoices | None:
        """The packed choices of the responses of units ``within`` (or all)."""
        if self.everyone is None or within is None:
            return self.everyone
        return self.everyone.within(within)


def packed_choices(wave: Wave) -> PackedChoices | None:
    """The packed choices of the wave's counted responses; None when one of them
    has none or another questionnaire's."""
    layout = choice_layout(parsed(wave.questionnaire))
    # the columns of the statistics index (the id is its row's key): no table
    # read; unit and id in one integer, as each column costs per row to fetch
    factor = sa.literal(UNIT_FACTOR, sa.BigInteger)
    key = sa.cast(Response.unit_id, sa.BigInteger) * factor + Response.id
    statement = sa.select(key, Response.choice_codes).where(
        Response.wave_id == wave.id, Response.status == ResponseStatus.complete
    )
    keys: list[np.ndarray] = []
    # a batch's bytes made a matrix at once: a million bytes objects (80 MB)
    # are never held together
    matrices: list[np.ndarray] = [np.zeros((0, layout.size), np.uint8)]
    batches = row_batches(statement, FETCH_ROWS)
    for rows in batches:
        keys.append(np.fromiter(map(itemgetter(0), rows), np.int64, len(rows)))
        matrix = packed_matrix(list(map(itemgetter(1), rows)), layout)
        if matrix is None:
            batches.close()  # the cursor closed now, not when collected
            return None
        matrices.append(matrix)
        del rows
    both = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    unit_id, response_id = np.divmod(both, UNIT_FACTOR)
    return PackedChoices(unit_id, response_id, np.concatenate(matrices), layout)
