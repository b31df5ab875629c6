"""Results pages: a wave's dashboard for a unit subtree, its downloads and its PDF
report."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectField

from sipas.admin import results_sections
from sipas.admin.blueprint import bp
from sipas.admin.forms_jobs import JobForm
from sipas.admin.jobs import job_started
from sipas.auth.decorators import READERS, require_scope, role_required
from sipas.extensions import db
from sipas.files import MEDIA_TYPES
from sipas.i18n import current_language
from sipas.models import JobKind, Unit, Wave, WaveStatus
from sipas.services.audit import record_event
from sipas.services.jobs import sections
from sipas.services.jobs.work import responses_in_scope
from sipas.services.questionnaires import parsed
from sipas.services.responses import quality
from sipas.services.results import exports
from sipas.services.results.dashboard import (
    counted_responses,
    depth,
    export_file,
    group_choices,
    root_choices,
)
from sipas.services.results.report import NoResponses
from sipas.services.results.report import report_pdf as build_pdf
from sipas.services.results.section import render_section
from sipas.services.units.lookup import unit_or_404
from sipas.services.units.tree import (
    ancestors,
    can_see,
    can_see_any,
    subtree_ids,
    visible_unit_ids,
)
from sipas.services.waves.design import WeightingError
from sipas.services.waves.lookup import visible_waves, wave_or_404
from sipas.services.waves.margins import mismatch_problem
from sipas.stats.calibrate import MarginMismatch

#: Download formats and their media types.
FORMATS = {name: MEDIA_TYPES[f".{name}"] for name in ("csv", "xlsx", "json", "parquet")}


class RetryForm(FlaskForm):
    """Compute the results again (a button: only the CSRF token)."""


class ResultsChoiceForm(FlaskForm):
    """Which wave and unit subtree to show (a GET form: nothing changes)."""

    class Meta:
        csrf = False

    wave = SelectField(_l("Survey round"))
    unit = SelectField(_l("Unit"))


@bp.get("/results")
@role_required(*READERS)
def dashboard() -> ResponseReturnValue:
    """The chosen wave and unit, else the newest wave the user can see (one that
    is open or closed, if there is one)."""
    chosen = request.args.get("wave")
    if chosen:
        unit = request.args.get("unit") or None
        return redirect(url_for("admin.wave_dashboard", wave_code=chosen, unit=unit))
    waves = visible_waves(visible_unit_ids(current_user))
    # a round still in preparation has nothing to show yet
    waves = [w for w in waves if w.status is not WaveStatus.draft] or waves
    if waves:
        return redirect(url_for("admin.wave_dashboard", wave_code=waves[0].code))
    return render_template("admin/results/none.html")


def _wave_and_root(wave_code: str) -> tuple[Wave, Unit | None]:
    """The wave and unit subtree asked for: 404 if unknown, 403 outside the scope.
    Without ``?unit=``: the whole wave, or the analyst's own unit."""
    wave = wave_or_404(wave_code)
    if not can_see_any(current_user, [wu.unit_id for wu in wave.wave_units]):
        abort(403)
    code = request.args.get("unit")
    if not code:
        scoped = visible_unit_ids(current_user) is not None
        return wave, current_user.unit if scoped else None
    return wave, require_scope(unit_or_404(code))


def _choice_form(wave: Wave, root: Unit | None) -> ResultsChoiceForm:
    visible = visible_unit_ids(current_user)
    form = ResultsChoiceForm(
        formdata=None, wave=wave.code, unit=root.code if root else ""
    )
    form.wave.choices = [
        (w.code, f"{w.title} ({w.code})") for w in visible_waves(visible)
    ]
    units = root_choices(wave, visible)
    if root is not None and root not in units:
        units.append(root)
    form.unit.choices = ([("", _("Whole survey round"))] if visible is None else []) + [
        (u.code, "\u2003" * depth(u) + u.name) for u in units
    ]
    return form


def _links(wave: Wave, root: Unit | None) -> dict[str, str]:
    """Download and report links for this wave and unit."""
    unit = root.code if root else None
    links = {
        fmt: url_for("admin.download", wave_code=wave.code, fmt=fmt, unit=unit)
        for fmt in FORMATS
    }
    links["pdf"] = url_for("admin.report_pdf", wave_code=wave.code, unit=unit)
    return links


def _crumbs(root: Unit | None) -> list[tuple[str | None, str]]:
    """(unit code, name) of the levels above ``root`` the user may open; None
    stands for the whole wave."""
    if root is None:
        return []
    crumbs: list[tuple[str | None, str]] = []
    if visible_unit_ids(current_user) is None:
        crumbs.append((None, _("Whole survey round")))
    crumbs += [(u.code, u.name) for u in ancestors(root) if can_see(current_user, u)]
    return crumbs


@bp.get("/results/<wave_code>")
@role_required(*READERS)
def wave_dashboard(wave_code: str) -> ResponseReturnValue:
    """The results of a wave for a unit subtree, with charts and tables."""
    wave, root = _wave_and_root(wave_code)
    groups = group_choices(wave)
    group = request.args.get("by", "")
    if group not in groups:
        group = next(iter(groups), "")
    in_scope = subtree_ids(root.id) if root is not None else None
    page = {
        "wave": wave,
        "root": root,
        "quality": quality.quality_summary(wave.id, in_scope),
        "crumbs": _crumbs(root),
        "form": _choice_form(wave, root),
        "links": _links(wave, root),
        "groups": groups,
        "group": group,
    }
    try:
        section = _results_section(wave, root, group)
    except (WeightingError, MarginMismatch) as error:
        return _results_unavailable(error, page)
    return render_template("admin/results/wave.html", section=section, **page)


def _results_unavailable(error: WeightingError | MarginMismatch, page: dict) -> str:
    """The page saying why a wave's results cannot be computed, and what to do:
    units without a population, or calibration margins that do not fit."""
    if isinstance(error, WeightingError):
        return render_template(
            "admin/results/weighting.html", units=error.unit_codes, **page
        )
    problem = mismatch_problem(
        parsed(page["wave"].questionnaire), error, current_language()
    )
    return render_template("admin/results/calibration.html", problem=problem, **page)


def _results_section(wave: Wave, root: Unit | None, group: str) -> Markup | None:
    """The rendered results broken down by channel and the respondent question
    ``group`` (one at a time: each costs a pass over the answers), None when the
    subtree has no counted responses; reused while nothing they depend on has
    changed. A large scope's are computed by the worker: meanwhile, its progress."""
    in_scope = subtree_ids(root.id) if root is not None else None
    total = counted_responses(wave, in_scope)
    if not total:
        return None
    if results_sections.is_large(total):
        return results_sections.from_worker(wave, root, group, total)
    return results_sections.cached(
        results_sections.section_key(wave, root, group),
        lambda: Markup(render_section(wave, root, group)),  # noqa: S704
    )


@bp.get("/results/<wave_code>/section/<int:job_id>")
@role_required(*READERS)
def results_progress(wave_code: str, job_id: int) -> ResponseReturnValue:
    """How far the job computing a large scope's results is, as JSON for the
    dashboard to poll, with the section once made (only for a reader of that
    scope: the job may have been asked by another)."""
    wave, root = _wave_and_root(wave_code)
    job = sections.job_of_scope(wave, root, job_id)
    response = jsonify(results_sections.section_state(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/results/<wave_code>/section")
@role_required(*READERS)
def results_again(wave_code: str) -> ResponseReturnValue:
    """Compute a large scope's results again after its job failed."""
    wave, root = _wave_and_root(wave_code)
    if not RetryForm().validate_on_submit():
        abort(400)
    group = request.args.get("by") or None
    if group is not None and group not in group_choices(wave):
        abort(400)
    results_sections.ask_again(wave, root, group or "", responses_in_scope(wave, root))
    unit = root.code if root is not None else None
    return redirect(
        url_for(
            "admin.wave_dashboard", wave_code=wave.code, unit=unit, by=group or None
        ),
        code=303,
    )


@bp.get("/results/<wave_code>/download.<fmt>")
@role_required(*READERS)
def download(wave_code: str, fmt: str) -> ResponseReturnValue:
    """The wave's results for a unit subtree as CSV, XLSX, JSON or Parquet, audited once
    the whole file has gone out."""
    if fmt not in FORMATS:
        abort(404)
    wave, root = _wave_and_root(wave_code)
    if (large := _large(wave, root)) is not None:
        return _job_offer(wave, root, fmt, large)
    try:
        body = export_file(wave, root, fmt)
    except (WeightingError, MarginMismatch) as error:
        return _results_unavailable(error, {"wave": wave, "root": root}), 409
    name = exports.export_filename(wave, root, fmt)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    chunks: Iterable[bytes]
    if isinstance(body, bytes):
        headers["Content-Length"] = str(len(body))
        chunks = [body]
    else:
        chunks = body
    details = {"wave": wave.code, "unit": root.code if root else None, "format": fmt}
    event = {
        "action": f"export.{fmt}",
        "object_type": "wave",
        "object_id": str(wave.id),
        "details": details,
    }
    return Response(
        stream_with_context(_audited_when_served(chunks, event)),
        mimetype=FORMATS[fmt],
        headers=headers,
    )


def _audited_when_served(chunks: Iterable[bytes], event: dict) -> Iterator[bytes]:
    """``chunks``, then the download's audit event, recorded and committed only
    once the server has sent the last chunk: a download that breaks off (the client
    left, an error half-way) leaves none. Runs after the view's session has ended,
    in a session of its own."""
    yield from chunks
    # end the transaction the rows were read in: on SQLite a write in it would fail
    # if another request has written since the download began
    db.session.commit()
    record_event(user=current_user, **event)
    db.session.commit()


@bp.get("/results/<wave_code>/download.parquet")
@role_required(*READERS)
def download_parquet(wave_code: str) -> ResponseReturnValue:
    """The wave's responses as Parquet (a route of its own: access rules name it)."""
    return download(wave_code, "parquet")


@bp.get("/results/<wave_code>/report.pdf")
@role_required(*READERS)
def report_pdf(wave_code: str) -> ResponseReturnValue:
    """The report as a download, recorded in the audit log."""
    wave, root = _wave_and_root(wave_code)
    if (large := _large(wave, root)) is not None:
        return _job_offer(wave, root, "pdf", large)
    try:
        data = build_pdf(wave, root, current_language())
    except NoResponses:
        flash(_("This survey round has no response in this scope yet."), "warning")
        return redirect(url_for("admin.index"))
    except (WeightingError, MarginMismatch) as error:
        return _results_unavailable(error, {"wave": wave, "root": root}), 409
    unit_code = root.code if root is not None else "all"
    record_event(
        "report.pdf",
        user=current_user,
        object_type="wave",
        object_id=wave.code,
        details={"unit": unit_code, "bytes": len(data)},
    )
    db.session.commit()
    filename = f"sipas-{wave.code}-{unit_code}.pdf"
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=filename,
    )


def _large(wave: Wave, root: Unit | None) -> int | None:
    """The responses in scope when there are enough to make the file in the
    background (JOBS_MIN_RESPONSES), else None: the file is made at once."""
    total = responses_in_scope(wave, root)
    return total if total >= current_app.config["JOBS_MIN_RESPONSES"] else None


def _job_offer(wave: Wave, root: Unit | None, what: str, total: int) -> str:
    """The page offering to make a large file in the background."""
    unit = root.code if root else None
    return render_template(
        "admin/jobs/offer.html",
        what=what,
        total=total,
        subject=f"{wave.title} · {root.name}" if root else wave.title,
        action=url_for("admin.results_job", wave_code=wave.code, unit=unit),
        back=url_for("admin.wave_dashboard", wave_code=wave.code, unit=unit),
        form=JobForm(formdata=None, what=what),
    )


@bp.post("/results/<wave_code>/job")
@role_required(*READERS)
def results_job(wave_code: str) -> ResponseReturnValue:
    """Make a download or the report in the background, then show its progress
    (asking twice for the same file gives the same job)."""
    wave, root = _wave_and_root(wave_code)
    form = JobForm()
    if not form.validate_on_submit():
        abort(400)
    what = form.what.data
    parameters = {"unit": root.code if root else None, "language": current_language()}
    if what != "pdf":
        parameters["format"] = what
    kind = JobKind.report if what == "pdf" else JobKind.export
    return job_started(kind, wave, parameters, responses_in_scope(wave, root))
