"""Published pages kept on disk: built once per server and version of the
application, never served from an earlier version, gone when the round is taken
off the public pages, never half-written."""

from __future__ import annotations

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
    # only the lock the build held (kept: see published_pages.building)
    left = [p.name for p in folder.rglob("*") if p.is_file()]
    assert all(name.endswith(".lock") for name in left)


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


def test_visitors_asking_at_once_wait_for_one_build(published, demo_app):
    from sipas.public.cache import kept

    builds, bodies = [], []
    started = threading.Event()

    def slow_build() -> bytes:
        builds.append(1)
        started.set()
        time.sleep(0.3)  # the others arrive while it computes
        return b"<html>page</html>"

    def visitor() -> None:
        with demo_app.app_context():
            _new_process(demo_app)
            bodies.append(kept("demo", "tag-1", slow_build))

    first = threading.Thread(target=visitor)
    first.start()
    started.wait(5)
    others = [threading.Thread(target=visitor) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in (first, *others):
        thread.join(10)
    assert builds == [1]
    assert bodies == [b"<html>page</html>"] * 4


def test_a_build_that_fails_lets_the_next_visitor_build(published, demo_app):
    from sipas.public.cache import kept

    def broken() -> bytes:
        raise RuntimeError("the figures could not be made")

    with pytest.raises(RuntimeError):
        kept("demo", "tag-2", broken)
    assert kept("demo", "tag-2", lambda: b"built") == b"built"


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
