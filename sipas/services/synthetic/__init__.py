"""Synthetic responses drawn from an explicit model: the demo rounds, benchmarks
and tests.

- ``model``    the parameters (per-criterion level, centre, channel, group and
               round-to-round effects, perception shares, careless respondents)
- ``answers``  one respondent's answers drawn from the model (no database)
- ``store``    responses inserted in bulk, judged by the quality rules
- ``paper``    the demo round's paper forms, in every state of entry
- ``rounds``   last year's and this year's demo rounds, filled idempotently
"""

from __future__ import annotations

import dataclasses

from sipas.services.synthetic.answers import synthetic_answers
from sipas.services.synthetic.model import DEFAULT_MODEL
from sipas.services.synthetic.store import Fill, add_responses

#: The demo's model for tests and benchmarks: no careless or quick respondents, and
#: every respondent mixes 4s and 5s, so no response raises a quality signal and
#: every one counts (tests add signalled responses of their own).
COUNTED_MODEL = dataclasses.replace(
    DEFAULT_MODEL,
    careless_share=0.0,
    quick_share=0.0,
    very_satisfied_beta=(40.0, 60.0),
)

__all__ = ["add_demo_responses", "synthetic_answers"]


def add_demo_responses(
    wave, count: int, seed: int = 1, progress=None, *, current_round: bool = True
) -> int:
    """Add ``count`` synthetic responses to ``wave``, every one counted and none
    signalled (:data:`COUNTED_MODEL`); a repeated seed adds the same ones (none).
    Returns how many were new."""
    fill = Fill(wave, count, seed, current_round, COUNTED_MODEL)
    return len(add_responses(fill, progress).uuids)
