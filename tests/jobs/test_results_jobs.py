"""The results dashboard of a large scope: computed by the worker (the page shows
its progress meanwhile), the same section as the request would have made, one job
per scope and state of the round shared by its readers, a new one when responses
arrive, and the scope checked as before."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.admin import results_sections
from sipas.extensions import db
from sipas.models import Job, JobKind, JobStatus, Role, Wave
from sipas.services import clock
from sipas.services.jobs import lifecycle, sections
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.design import WeightingError
from tests.conftest import CSRF_PATTERN
from tests.factories import filled_demo_wave, make_response

#: Responses of the demo round in these tests, and the size setting below them.
RESPONSES = 300
#: Counted responses in scope from which the worker computes the results (Hạ
#: Long's share of the round is above it).
THRESHOLD = 20
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE = "/admin/results/demo?unit=QN-HALONG"
#: The figures of a results section: every number cell and the headline index.
FIGURES = re.compile(r'<td class="num"[^>]*>(.*?)</td>|<strong>([^<]*)</strong>')


@pytest.fixture
def large(demo_app):
    """The demo round with RESPONSES responses, its results computed by the worker."""
    filled_demo_wave(RESPONSES, seed=29)
    demo_app.config["JOBS_MIN_RESULTS_RESPONSES"] = THRESHOLD
    return demo_app


def vi(app, message: str, **values) -> str:
    with app.test_request_context(), force_locale("vi"):
        return _(message, **values)


def page(client, url: str = PAGE) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def results_jobs() -> list[Job]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Job).where(Job.kind == JobKind.results).order_by(Job.id)
        )
    )


def figures(html: str) -> list[str]:
    """The figures of the results section in ``html`` (none: no results shown)."""
    start = html.find('id="headline-title"')
    if start < 0:
        return []
    return ["".join(found) for found in FIGURES.findall(html[start:])]


def forget_pages(app) -> None:
    """Empty the web process's cache of rendered sections (another process's)."""
    app.extensions.get("sipas_results_pages", {}).clear()


def test_large_scope_answers_with_the_progress_not_the_results(
    large, login_as, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr(results_sections, "enqueue", queued.append)

    def not_here(*args, **kwargs):
        raise AssertionError("computed in the request")

    monkeypatch.setattr("sipas.services.results.section.compute_results", not_here)
    client = large.test_client()
    login_as(client, Role.analyst)
    html = page(client)
    assert figures(html) == []
    [job] = results_jobs()
    assert queued == [job.id]
    assert job.status is JobStatus.queued
    assert job.parameters["unit"] == "QN-HALONG"
    assert 'role="status" aria-live="polite"' in html
    waiting = vi(
        large,
        "Waiting for a worker to compute the results of %(n)s responses…",
        n=f"{job.total:,}".replace(",", "."),
    )
    assert waiting in html
    assert (
        f'data-results-job="/admin/results/demo/section/{job.id}?unit=QN-HALONG"'
        in html
    )
    assert f'href="{PAGE}' in html  # "Tải lại" without JavaScript
    # the page's script polls the job until it is done
    state = client.get(f"/admin/results/demo/section/{job.id}?unit=QN-HALONG")
    assert state.get_json()["finished"] is False
    assert state.get_json()["html"] is None
    # still waiting minutes later with no worker marking that it runs: says so
    job.created_at = clock.now() - timedelta(minutes=3)
    db.session.commit()
    state = client.get(f"/admin/results/demo/section/{job.id}?unit=QN-HALONG")
    assert state.get_json()["text"].startswith("Chưa có máy xử lý nền nào")


def test_the_workers_section_is_the_one_the_request_would_make(large, login_as):
    client = large.test_client()
    login_as(client, Role.analyst)
    large.config["JOBS_MIN_RESULTS_RESPONSES"] = 10**9
    in_request = figures(page(client))
    assert len(in_request) > 50
    assert results_jobs() == []
    forget_pages(large)

    large.config["JOBS_MIN_RESULTS_RESPONSES"] = THRESHOLD
    first = page(client)  # the test queue runs the job at once, after this answer
    assert figures(first) == []
    [job] = results_jobs()
    assert job.status is JobStatus.done
    state = client.get(f"/admin/results/demo/section/{job.id}?unit=QN-HALONG")
    assert state.get_json()["finished"] is True
    assert figures(state.get_json()["html"]) == in_request
    assert figures(page(client)) == in_request
    forget_pages(large)  # another web process: the job's file
    assert figures(page(client)) == in_request
    assert len(results_jobs()) == 1


def test_links_in_the_section_keep_the_path_prefix(large, login_as):
    client = large.test_client()
    login_as(client, Role.analyst)
    prefixed = "http://localhost/sipas/"
    client.get(PAGE, base_url=prefixed)
    forget_pages(large)
    html = client.get(PAGE, base_url=prefixed).get_data(as_text=True)
    assert figures(html)
    assert 'action="/sipas/admin/results/demo#breakdowns-title"' in html


def test_a_second_reader_of_the_scope_sees_the_same_job(large, login_as):
    halong = unit_by_code("QN-HALONG")
    first, second = large.test_client(), large.test_client()
    owner = login_as(first, Role.analyst, unit=halong)
    login_as(second, Role.analyst, unit=halong)
    page(first)
    forget_pages(large)
    shown = figures(page(second))
    [job] = results_jobs()
    assert job.owner_id == owner.id
    assert shown == figures(page(first))
    progress = f"/admin/results/demo/section/{job.id}?unit=QN-HALONG"
    assert second.get(progress).status_code == 200
    # never a download of another user's job, nor listed as one
    assert second.get(f"/admin/jobs/{job.id}/file").status_code == 404
    mine = first.get(f"/admin/jobs/{job.id}/file")
    assert mine.status_code == 302
    assert mine.location.endswith(
        "/admin/results/demo?unit=QN-HALONG&by=" + job.parameters["group"]
    )
    assert f"/admin/jobs/{job.id}" not in page(first, "/admin/jobs")
    assert "Trang kết quả" in page(first, f"/admin/jobs/{job.id}")  # no download
    assert second.get(f"/admin/jobs/{job.id}").status_code == 404
    admin = large.test_client()
    login_as(admin, Role.admin)
    assert f"/admin/jobs/{job.id}" in page(admin, "/admin/jobs")  # the worker's load


def test_two_readers_asking_at_once_share_the_queued_job(large, login_as, monkeypatch):
    monkeypatch.setattr(results_sections, "enqueue", lambda job_id: None)
    first, second = large.test_client(), large.test_client()
    login_as(first, Role.analyst)
    login_as(second, Role.analyst)
    page(first)
    page(second)
    assert len(results_jobs()) == 1


def test_two_readers_asking_at_the_same_moment_get_one_job(
    large, login_as, monkeypatch
):
    monkeypatch.setattr(results_sections, "enqueue", lambda job_id: None)
    create, entered, go = lifecycle.create, threading.Event(), threading.Event()

    def slow_create(*args, **kwargs):
        if not entered.is_set():  # the first asker pauses just before creating
            entered.set()
            go.wait(10)
        return create(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "create", slow_create)
    clients = [large.test_client(), large.test_client()]
    for client in clients:
        login_as(client, Role.analyst)
    db.session.commit()  # the logins' transaction: a request starts with none
    answers: list[int] = []

    def ask(client) -> threading.Thread:
        thread = threading.Thread(
            target=lambda: answers.append(client.get(PAGE).status_code)
        )
        thread.start()
        return thread

    first = ask(clients[0])
    assert entered.wait(10)
    second = ask(clients[1])
    time.sleep(0.5)  # the second asks while the first has not created its job
    go.set()
    first.join(20)
    second.join(20)
    assert answers == [200, 200]
    assert len(results_jobs()) == 1


def test_a_write_by_another_connection_while_the_page_reads_does_not_break_it(
    large, login_as, monkeypatch
):
    # on SQLite a transaction that has read cannot then write once another
    # connection has written: the page ends its reading before it asks for the job
    monkeypatch.setattr(results_sections, "enqueue", lambda job_id: None)
    client = large.test_client()
    login_as(client, Role.analyst)
    latest, writes = sections.latest, []

    def latest_then_another_writes(wave, parameters):
        found = latest(wave, parameters)
        if not writes:
            with db.engine.begin() as other:  # a round edited, a response stored
                other.execute(sa.update(Wave).values(title=Wave.title + " "))
            writes.append(wave.id)
        return found

    monkeypatch.setattr(sections, "latest", latest_then_another_writes)
    db.session.commit()  # the login's transaction: a request starts with none
    html = page(client)
    assert writes
    assert 'role="status"' in html
    assert len(results_jobs()) == 1


def test_new_responses_start_a_new_job_showing_the_last_results_meanwhile(
    large, login_as, monkeypatch
):
    client = large.test_client()
    login_as(client, Role.analyst)
    page(client)
    before = figures(page(client))
    make_response("QN-HALONG-TT")
    db.session.commit()
    monkeypatch.setattr(results_sections, "enqueue", lambda job_id: None)
    html = page(client)
    old, new = results_jobs()
    assert new.parameters["fingerprint"] != old.parameters["fingerprint"]
    assert new.status is JobStatus.queued
    assert 'role="status"' in html
    finished = clock.as_utc(old.finished_at).astimezone(HANOI)
    note = f"Kết quả lúc {finished:%d/%m/%Y %H:%M}, chưa gồm các phiếu mới."
    assert note in html
    assert figures(html) == before  # the last results, marked as such


def test_analysts_outside_the_scope_are_refused(large, login_as):
    inside, outside = large.test_client(), large.test_client()
    login_as(inside, Role.analyst)
    login_as(outside, Role.analyst, unit=unit_by_code("QN-CAMPHA"))
    page(inside)
    [job] = results_jobs()
    assert outside.get(PAGE).status_code == 403
    assert (
        outside.get(f"/admin/results/demo/section/{job.id}?unit=QN-HALONG").status_code
        == 403
    )
    # its own scope does not open another scope's job
    other = f"/admin/results/demo/section/{job.id}?unit=QN-CAMPHA"
    assert outside.get(other).status_code == 404


def failed_page(app, login_as, error: Exception):
    """The page of a client whose results job failed with ``error``: (client,
    page, job)."""

    def raising(*args, **kwargs):
        raise error

    client = app.test_client()
    login_as(client, Role.analyst)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sipas.services.results.section.compute_results", raising)
        page(client)
    html = page(client)
    [job] = results_jobs()
    assert job.status is JobStatus.failed
    assert vi(app, "Try again") in html
    assert figures(html) == []
    return client, html, job


def test_a_failed_job_says_why_and_can_be_tried_again(large, login_as):
    client, html, _job = failed_page(large, login_as, WeightingError(["QN-HALONG-TT"]))
    assert "QN-HALONG-TT" in html
    assert 'href="/admin/waves/demo"' in html  # where the populations are entered
    # not asked again by itself (the same page but for the CSRF tokens, which
    # carry the second they were made in)
    assert CSRF_PATTERN.sub("", page(client)) == CSRF_PATTERN.sub("", html)
    token = CSRF_PATTERN.search(html).group(1)
    retry = re.search(r'action="(/admin/results/demo/section[^"]*)"', html).group(1)
    answer = client.post(retry.replace("&amp;", "&"), data={"csrf_token": token})
    assert answer.status_code == 303, answer.location
    assert len(results_jobs()) == 2
    assert figures(page(client))


def test_a_small_scope_is_computed_in_the_request(large, login_as):
    large.config["JOBS_MIN_RESULTS_RESPONSES"] = RESPONSES * 10
    client = large.test_client()
    login_as(client, Role.analyst)
    assert figures(page(client))
    assert results_jobs() == []


def test_the_worker_renders_in_the_readers_language(large, login_as):
    client = large.test_client()
    login_as(client, Role.analyst)
    client.set_cookie(large.config["LANGUAGE_COOKIE"], "en")
    page(client)
    [job] = results_jobs()
    assert job.parameters["language"] == "en"
    html = page(client)
    assert '<h2 id="headline-title">Key figures' in html
    client.set_cookie(large.config["LANGUAGE_COOKIE"], "vi")
    page(client)
    assert len(results_jobs()) == 2  # a section per language


def test_an_unexpected_error_is_told_as_results_not_as_a_file(large, login_as):
    large.config["JOBS_MAX_ATTEMPTS"] = 1
    _client, html, job = failed_page(large, login_as, RuntimeError("a bug"))
    told = vi(
        large,
        "The results could not be computed after %(n)d tries. Try again "
        "later; if it fails again, tell the administrator.",
        n=1,
    )
    assert job.error == told
    assert told in html
