"""Published pages kept on disk: built once per server and version of the
application, never served from an earlier version, gone when the round is taken
off the public pages, never half-written."""

from __future__ import annotations

import contextlib
import os
import threading
import time

import pytest

from sipas.extensions import db
from sipas.models import WaveStatus
from sipas.services import synthetic
from sipas.services.jobs import files, lifecycle
from sipas.services.jobs.files import jobs_dir
from sipas.services.results import publication
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves import published_pages
from sipas.services.waves.admin import change_status
from sipas.services.waves.lookup import wave_by_code
from sipas.services.waves.publication import publish_wave, unpublish_wave


@pytest.fixture
def published(demo_app):
    """The demo round with 300 responses, closed and published."""
    wave = wave_by_code("demo")
    synthetic.add_demo_responses(wave, 300, seed=7)
    change_status(wave, WaveStatus.closed, None)
    publish_wave(wave, None)
    db.session.commit()
    return wave


def _new_process(app) -> None:
    """Forget the pages kept in this process, as a fresh server process would."""
    app.extensions.pop("sipas_published_pages", None)


def _kept_files() -> list[str]:
    folder = jobs_dir() / "published"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.bin"))


def test_a_page_is_built_once_per_server(
    published, demo_app, demo_client, computed_scopes
):
    first = demo_client.get("/ket-qua/demo").get_data()
    assert len(computed_scopes) == 1
    assert len(_kept_files()) == 1
    _new_process(demo_app)
    assert demo_client.get("/ket-qua/demo").get_data() == first
    assert len(computed_scopes) == 1  # read from the disk, not computed again


def test_a_new_version_of_the_application_builds_its_own_pages(
    published, demo_app, demo_client, computed_scopes, monkeypatch
):
    demo_client.get("/ket-qua/demo")
    (earlier,) = _kept_files()
    _new_process(demo_app)
    monkeypatch.setattr(published_pages, "version_digest", lambda _root: "next")
    demo_client.get("/ket-qua/demo")
    assert len(computed_scopes) == 2
    (now,) = _kept_files()  # the earlier version's page is gone
    assert now.startswith("next/")
    assert not earlier.startswith("next/")


def test_taking_a_round_down_removes_its_pages(published, demo_client, computed_scopes):
    demo_client.get("/ket-qua/demo")
    demo_client.get("/ket-qua/demo/QN-HALONG-TT")
    assert len(_kept_files()) == 2
    unpublish_wave(published, None, "Sửa số liệu")
    db.session.commit()
    assert _kept_files() == []
    assert demo_client.get("/ket-qua/demo").status_code == 404


def test_a_page_that_fails_to_build_leaves_nothing(published, demo_client, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the figures could not be made")

    monkeypatch.setattr(publication, "compute_results", broken)
    with pytest.raises(RuntimeError):
        demo_client.get("/ket-qua/demo")
    folder = jobs_dir() / "published"
    # only the lock the build held (kept: see published_pages.building) and the
    # stamp of its failure, for the requests that waited for it
    left = [p.suffix for p in folder.rglob("*") if p.is_file()]
    assert sorted(left) == [".failed", ".lock"]


def test_a_page_half_written_by_a_killed_process_is_tidied_away(published, demo_client):
    demo_client.get("/ket-qua/demo")
    (kept,) = (jobs_dir() / "published").rglob("*.bin")
    left = kept.parent / f"{files.PART_PREFIX}killed"
    left.write_bytes(b"<html>half")
    long_ago = time.time() - 3600
    os.utime(left, (long_ago, long_ago))
    assert lifecycle.purge_expired() == 1
    assert not left.exists()
    assert kept.exists()


def _visitors_at_once(app, tag: str, build) -> tuple[int, list]:
    """Four visitors of the body ``tag``, three arriving while the first's
    ``build`` runs: how many builds ran, and what each visitor got (the body, or
    the name of the error raised)."""
    from sipas.public.cache import BuildFailed, kept

    builds, outcomes = [], []
    started = threading.Event()

    def slow_build() -> bytes:
        builds.append(1)
        started.set()
        time.sleep(0.3)  # the others arrive while it computes
        return build()

    def visitor() -> None:
        with app.app_context():
            _new_process(app)
            try:
                outcomes.append(kept("demo", tag, slow_build))
            except (RuntimeError, BuildFailed) as error:
                outcomes.append(type(error).__name__)

    first = threading.Thread(target=visitor)
    first.start()
    started.wait(5)
    others = [threading.Thread(target=visitor) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in (first, *others):
        thread.join(10)
    return len(builds), outcomes


def test_visitors_asking_at_once_wait_for_one_build(published, demo_app):
    builds, bodies = _visitors_at_once(demo_app, "tag-1", lambda: b"<html>page</html>")
    assert builds == 1
    assert bodies == [b"<html>page</html>"] * 4


def test_a_build_that_fails_lets_the_next_visitor_build(published, demo_app):
    from sipas.public.cache import kept

    def broken() -> bytes:
        raise RuntimeError("the figures could not be made")

    with pytest.raises(RuntimeError):
        kept("demo", "tag-2", broken)
    assert kept("demo", "tag-2", lambda: b"built") == b"built"


def test_visitors_waiting_for_a_build_that_fails_are_told_at_once(published, demo_app):
    """Those who waited are not each made to try again in turn (the last of
    twenty would wait for nineteen failures, past the server's timeout)."""
    from sipas.public.cache import kept

    def failure() -> bytes:
        raise RuntimeError("the figures could not be made")

    builds, outcomes = _visitors_at_once(demo_app, "tag-3", failure)
    assert builds == 1
    assert sorted(outcomes) == ["BuildFailed"] * 3 + ["RuntimeError"]
    # a visitor who comes afterwards builds it anew
    with demo_app.app_context():
        assert kept("demo", "tag-3", lambda: b"built") == b"built"


def test_the_visitor_of_a_failed_build_reads_why_in_vietnamese(
    published, demo_client, monkeypatch
):
    """The page's build failed while this visitor waited: the 503 page says to
    try again in a few minutes, and nothing is kept."""
    from sipas.public import cache

    waited = published_pages.building

    @contextlib.contextmanager
    def failing_meanwhile(wave_code, tag):
        with waited(wave_code, tag):
            published_pages.note_failure(wave_code, tag)  # another request's build
            yield

    monkeypatch.setattr(cache, "building", failing_meanwhile)
    answer = demo_client.get("/ket-qua/demo")
    assert answer.status_code == 503
    text = answer.get_data(as_text=True)
    assert "Chưa chuẩn bị được kết quả lúc này" in text
    assert _kept_files() == []


def rename_a_centre() -> None:
    """A change to what the round's figures rest on (its unit tree)."""
    unit_by_code("QN-HALONG-TT").name = "Trung tâm Phục vụ hành chính công Hạ Long"
    db.session.commit()


@pytest.fixture
def fingerprints(monkeypatch):
    """The rounds whose fingerprint the public pages computed, one entry each time."""
    from sipas.public import cache

    made = []
    compute = cache.fingerprint
    monkeypatch.setattr(
        cache, "fingerprint", lambda w: made.append(w.code) or compute(w)
    )
    return made


def test_a_process_takes_the_rounds_state_as_current_for_a_while(
    published, demo_client, fingerprints
):
    tags = {demo_client.get("/ket-qua/demo").headers["ETag"] for _ in range(3)}
    demo_client.get("/ket-qua/demo/QN-HALONG-TT")
    assert fingerprints == ["demo"]  # once for the round, whatever the page
    rename_a_centre()  # a change the pages show once the window is over
    assert {demo_client.get("/ket-qua/demo").headers["ETag"]} == tags


def test_after_the_window_a_change_to_the_round_shows(
    published, demo_client, fingerprints, monkeypatch
):
    from sipas.public import cache

    before = demo_client.get("/ket-qua/demo").headers["ETag"]
    monkeypatch.setattr(cache, "FINGERPRINT_SECONDS", 0.0)
    rename_a_centre()
    after = demo_client.get("/ket-qua/demo").headers["ETag"]
    assert after != before
    assert fingerprints == ["demo", "demo"]


def test_a_round_published_anew_is_judged_at_once(published, demo_client, fingerprints):
    before = demo_client.get("/ket-qua/demo").headers["ETag"]
    unpublish_wave(published, None, "Sửa số liệu")
    publish_wave(published, None)
    db.session.commit()
    assert demo_client.get("/ket-qua/demo").headers["ETag"] != before
    assert fingerprints == ["demo", "demo"]
