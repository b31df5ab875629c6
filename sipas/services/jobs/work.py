"""What each kind of job makes: the same services as the immediate downloads,
told to report their progress."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from sipas.models import Job, JobKind, Unit, Wave
from sipas.services.paper.issuing import batch_forms, forms_pdf, paper_file_name
from sipas.services.paper.posters import NoUnits, round_posters
from sipas.services.results import exports
from sipas.services.results.dashboard import counted_responses, export_file
from sipas.services.results.report import NoResponses, build_report
from sipas.services.results.section import render_section
from sipas.services.units.lookup import unit_by_code
from sipas.services.units.tree import subtree_ids
from sipas.services.waves.design import WeightingError
from sipas.stats.calibrate import MarginMismatch

#: Told (responses done, responses in all) as the work goes on.
Progress = Callable[[int, int], None]


class JobRefused(Exception):
    """The file cannot be made, for a reason its owner can act on (the message)."""


@dataclass(frozen=True)
class Made:
    """A job's file: the name it is downloaded under, and its bytes as they come."""

    file_name: str
    chunks: Iterable[bytes]


def responses_in_scope(wave: Wave, root: Unit | None) -> int:
    """Counted responses of ``wave`` under ``root``: what a job's size is judged by."""
    return counted_responses(wave, subtree_ids(root.id) if root is not None else None)


def make(job: Job, progress: Progress) -> Made:
    """``job``'s file, in the language current at the call."""
    wave = job.wave
    assert wave is not None  # noqa: S101  (every kind is of a round)
    root = unit_by_code(job.parameters.get("unit"))
    try:
        if job.kind is JobKind.report:
            return _report(wave, root, job.parameters["language"])
        if job.kind is JobKind.paper:
            return _paper(job.parameters["batch"], job.parameters["language"])
        if job.kind is JobKind.posters:
            return _posters(wave, job.parameters, progress)
        if job.kind is JobKind.results:
            return _results(wave, root, job.parameters)
        return _export(wave, root, job.parameters["format"], progress)
    except NoResponses as error:
        raise JobRefused(
            _("This survey round has no response in this scope yet.")
        ) from error
    except (WeightingError, MarginMismatch) as error:
        if job.kind is JobKind.results:
            raise JobRefused(_results_refused(error)) from error
        raise JobRefused(
            _(
                "The results of this survey round cannot be computed yet: its "
                "results page says why and what to do."
            )
        ) from error


def _export(wave: Wave, root: Unit | None, fmt: str, progress: Progress) -> Made:
    body = export_file(wave, root, fmt, progress)
    chunks = [body] if isinstance(body, bytes) else body
    return Made(exports.export_filename(wave, root, fmt), chunks)


def _posters(wave: Wave, parameters: dict, progress: Progress) -> Made:
    base_url, language = parameters["base_url"], parameters["language"]
    try:
        batch = round_posters(wave, base_url, language, progress)
    except NoUnits as error:
        raise JobRefused(_("This survey round has no units yet.")) from error
    return Made(batch.filename, [batch.data])


def _paper(batch: str, language: str) -> Made:
    forms = batch_forms(batch)
    return Made(paper_file_name(forms), [forms_pdf(forms, language)])


def _report(wave: Wave, root: Unit | None, language: str) -> Made:
    data = build_report(wave, root, language).data
    unit_code = root.code if root is not None else "all"
    return Made(f"sipas-{wave.code}-{unit_code}.pdf", [data])


def _results(wave: Wave, root: Unit | None, parameters: dict) -> Made:
    """The dashboard's results section, rendered as if for the asking request
    (its address: links behind a path prefix stay right)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.test_request_context(base_url=parameters["base_url"]):
        html = render_section(wave, root, parameters["group"])
    return Made("results.html", [html.encode()])


def _results_refused(error: WeightingError | MarginMismatch) -> str:
    """Why a round's results cannot be computed, for its results page itself."""
    if isinstance(error, WeightingError):
        return _(
            "These units have responses but no population in the round's design: "
            "%(units)s. Enter their populations on the round's page, then try again.",
            units=", ".join(error.unit_codes),
        )
    return _(
        "The calibration margins of this round do not fit its responses. Correct "
        "them on the round's page, then try again."
    )
