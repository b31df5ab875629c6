"""Published pages kept on disk: built once per server and version of the
application, never served from an earlier version, gone when the round is taken
off the public pages, never half-written."""

from __future__ import annotations

import os
import time

import pytest

from sipas.extensions import db
from sipas.models import WaveStatus
from sipas.public import results as views
from sipas.services import synthetic
from sipas.services.jobs import files, lifecycle
from sipas.services.jobs.files import jobs_dir
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


@pytest.fixture
def builds(monkeypatch):
    """The rounds whose results the public pages computed, one entry each time."""
    made = []
    compute = views.published_results
    monkeypatch.setattr(
        views, "published_results", lambda *a: made.append(a) or compute(*a)
    )
    return made


def _new_process(app) -> None:
    """Forget the pages kept in this process, as a fresh server process would."""
    app.extensions.pop("sipas_published_pages", None)


def _kept_files() -> list[str]:
    folder = jobs_dir() / "published"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.bin"))


def test_a_page_is_built_once_per_server(published, demo_app, demo_client, builds):
    first = demo_client.get("/ket-qua/demo").get_data()
    assert len(builds) == 1
    assert len(_kept_files()) == 1
    _new_process(demo_app)
    assert demo_client.get("/ket-qua/demo").get_data() == first
    assert len(builds) == 1  # read from the disk, not computed again


def test_a_new_version_of_the_application_builds_its_own_pages(
    published, demo_app, demo_client, builds, monkeypatch
):
    demo_client.get("/ket-qua/demo")
    (earlier,) = _kept_files()
    _new_process(demo_app)
    monkeypatch.setattr(published_pages, "version_digest", lambda _root: "next")
    demo_client.get("/ket-qua/demo")
    assert len(builds) == 2
    (now,) = _kept_files()  # the earlier version's page is gone
    assert now.startswith("next/")
    assert not earlier.startswith("next/")


def test_taking_a_round_down_removes_its_pages(published, demo_client, builds):
    demo_client.get("/ket-qua/demo")
    demo_client.get("/ket-qua/demo/QN-HALONG-TT")
    assert len(_kept_files()) == 2
    unpublish_wave(published, None, "Sửa số liệu")
    db.session.commit()
    assert _kept_files() == []
    assert demo_client.get("/ket-qua/demo").status_code == 404


def test_a_page_that_fails_to_build_leaves_nothing(published, demo_client, monkeypatch):
    def broken(*_args):
        raise RuntimeError("the figures could not be made")

    monkeypatch.setattr(views, "published_results", broken)
    with pytest.raises(RuntimeError):
        demo_client.get("/ket-qua/demo")
    folder = jobs_dir() / "published"
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


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
