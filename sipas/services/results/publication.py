"""The published results of a round: the dashboard's results (no breakdowns, no
row-level data, no comment), with its four headline perception figures."""

from __future__ import annotations

from sipas.models import Unit, Wave
from sipas.reports.published import PublishedResults
from sipas.services.results.dashboard import compute_results


def published_results(wave: Wave, root: Unit | None) -> PublishedResults:
    """The round's results for the subtree under ``root`` as the public page and
    the poster show them (the caller checks that the round is published)."""
    if wave.published_at is None:
        raise ValueError(f"the results of {wave.code} are not published")
    results = compute_results(wave, root, group_items=())
    return PublishedResults(results=results, published_at=wave.published_at)
