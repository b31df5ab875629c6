"""The results section of the dashboard: computed in the request for a small
scope, by the worker above JOBS_MIN_RESULTS_RESPONSES (the page shows the job's
progress, then the section); rendered sections kept per web process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from sipas.database import writes_next
from sipas.extensions import db
from sipas.i18n import current_language, format_number
from sipas.models import Job, JobStatus, Unit, Wave
from sipas.services.jobs import sections, workers
from sipas.services.jobs.queue import enqueue
from sipas.services.results.dashboard import fingerprint

#: Rendered result sections kept per app (a big wave takes seconds to compute).
CACHE_SIZE = 16
_cache_lock = threading.Lock()

#: What identifies a rendered section: (fingerprint, root id, language, group).
Key = tuple[str, int | None, str, str]


def section_key(wave: Wave, root: Unit | None, group: str) -> Key:
    """The key a rendered section is kept under: it changes with the round."""
    root_id = root.id if root is not None else None
    return (fingerprint(wave), root_id, current_language(), group)


def cached(key: Key, make: Callable[[], Markup | None]) -> Markup | None:
    """The section kept under ``key``, else ``make()`` kept there (unless None)."""
    cache = current_app.extensions.setdefault("sipas_results_pages", OrderedDict())
    with _cache_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    section = make()
    if section is None:
        return None
    with _cache_lock:
        cache[key] = section
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return section


def is_large(total: int) -> bool:
    """Enough counted responses to compute the results in the background."""
    return total >= current_app.config["JOBS_MIN_RESULTS_RESPONSES"]


def job_parameters(root: Unit | None, group: str, key: Key) -> dict:
    """What a results job is asked for: the scope, language, breakdown, the
    round's fingerprint and the address the page was asked at (for its links)."""
    return {
        "unit": root.code if root is not None else None,
        "language": key[2],
        "group": group,
        "fingerprint": key[0],
        "base_url": request.url_root,
    }


def from_worker(wave: Wave, root: Unit | None, group: str, total: int) -> Markup:
    """The section a finished job kept (shared by the scope's readers), else the
    progress of the job making it, asked for here if there is none."""
    key = section_key(wave, root, group)
    parameters = job_parameters(root, group, key)

    def finished() -> Markup | None:
        job = sections.latest(wave, parameters)
        return sections.section_of(job) if job is not None else None

    return cached(key, finished) or _pending(wave, root, parameters, total)


def _pending(wave: Wave, root: Unit | None, parameters: dict, total: int) -> Markup:
    """The progress region of the job under way (asked for now if there is none:
    committed, then queued), or why it failed."""
    job = sections.latest(wave, parameters)
    if job is not None:
        return _progress_region(wave, root, parameters, job)
    writes_next()
    job, is_new = sections.ask(current_user, wave, parameters, total)
    # drawn before the commit and the queue (in tests, the queue runs the job at once)
    markup = _progress_region(wave, root, parameters, job)
    job_id = job.id  # read before the commit: reading after it would lock SQLite
    db.session.commit()  # the write lock is not kept while the page is drawn
    if is_new:
        enqueue(job_id)
    return markup


def _progress_region(
    wave: Wave, root: Unit | None, parameters: dict, job: Job
) -> Markup:
    """How far ``job`` is (or why it failed), with the last results made before
    the round changed, if any."""
    earlier = sections.earlier(wave, parameters)
    return Markup(  # noqa: S704  (a rendered, autoescaped template)
        render_template(
            "admin/results/_pending.html",
            wave=wave,
            job=job,
            state=section_state(job),
            progress=progress_url(wave, root, job),
            retry=url_for(
                "admin.results_again",
                wave_code=wave.code,
                unit=parameters["unit"],
                by=parameters["group"] or None,
            ),
            earlier=earlier,
            earlier_section=sections.section_of(earlier) if earlier else None,
        )
    )


def ask_again(wave: Wave, root: Unit | None, group: str, total: int) -> None:
    """A new job for this scope if its last one failed (or there is none)."""
    parameters = job_parameters(root, group, section_key(wave, root, group))
    job, is_new = sections.ask(current_user, wave, parameters, total, again=True)
    job_id = job.id  # read before the commit: reading after it would lock SQLite
    db.session.commit()
    if is_new:
        enqueue(job_id)


def progress_url(wave: Wave, root: Unit | None, job: Job) -> str:
    """Where the page polls ``job``'s progress (the scope checked again there)."""
    return url_for(
        "admin.results_progress",
        wave_code=wave.code,
        job_id=job.id,
        unit=root.code if root is not None else None,
    )


def section_state(job: Job) -> dict:
    """What the page's script needs: the words, and the section once it is made."""
    section = sections.section_of(job)
    return {
        "status": str(job.status),
        "finished": job.status in (JobStatus.done, JobStatus.failed),
        "text": _state_text(job),
        "html": str(section) if section is not None else None,
    }


def _state_text(job: Job) -> str:
    total = format_number(job.total)
    if job.status is JobStatus.queued:
        if workers.seems_absent(job.created_at):
            return workers.no_worker_text()
        return _(
            "Waiting for a worker to compute the results of %(n)s responses…", n=total
        )
    if job.status is JobStatus.running:
        return _("Computing the results of %(n)s responses…", n=total)
    if job.status is JobStatus.done:
        return _("The results of %(n)s responses are ready.", n=total)
    return job.error or _("The results could not be computed.")
