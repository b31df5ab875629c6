"""A round's results section as the dashboard shows it: computed and rendered,
by the request for a small scope, by a worker for a large one."""

from __future__ import annotations

from flask import render_template

from sipas.models import Unit, Wave
from sipas.reports import figures, story
from sipas.services.results.dashboard import compute_results, group_choices


def render_section(wave: Wave, root: Unit | None, group: str) -> str:
    """The results of ``wave`` under ``root`` broken down by channel and the
    respondent question ``group``, rendered in the current language (needs a
    request context: the template links to other pages)."""
    results = compute_results(wave, root, [group] if group else [])
    return render_template(
        "admin/results/_results.html",
        r=results,
        fig=figures,
        story=story,
        changes=figures.change_rows(results),
        small_count=figures.small_count(results),
        groups=group_choices(wave),
        group=group,
    )
