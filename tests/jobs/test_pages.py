"""The public pages of a large round made by the worker as it is published: the
round's page and the pages it links to, in every language, the same bytes a
visitor's request would have made; none for a small round, none once the round
is taken down, and a page that fails leaves the others made."""

from __future__ import annotations

import shutil

import pytest

from sipas.extensions import db
from sipas.models import Role, WaveStatus
from sipas.services.jobs import pages, queue
from sipas.services.jobs.files import jobs_dir
from sipas.services.results import publication
from sipas.services.waves import published_pages
from sipas.services.waves.admin import change_status
from sipas.services.waves.lookup import wave_by_code
from sipas.services.waves.publication import publish_wave, unpublish_wave
from tests.conftest import CSRF_PATTERN
from tests.factories import filled_demo_wave

#: Responses of the demo round here, and the size setting below them.
RESPONSES, THRESHOLD = 300, 100
#: What the round's page tells once the worker made every public page.
READY = "Các trang công khai đã sẵn sàng: cả {n} trang đều mở được ngay."


@pytest.fixture
def closed(demo_app):
    """The demo round with RESPONSES responses, closed, large for the settings."""
    wave = filled_demo_wave(RESPONSES, seed=31)
    change_status(wave, WaveStatus.closed, None)
    db.session.commit()
    demo_app.config["JOBS_MIN_RESULTS_RESPONSES"] = THRESHOLD
    return wave


@pytest.fixture
def steps_taken(monkeypatch):
    """The steps of the worker's chain, in the order they were taken."""
    taken = []
    make = pages.make_page
    monkeypatch.setattr(pages, "make_page", lambda *a: taken.append(a[2]) or make(*a))
    return taken


def publish(client, login_as) -> str:
    """Publish the demo round through its confirmation page, as an administrator;
    the page shown after it."""
    login_as(client, Role.admin)
    form = client.get("/admin/waves/demo/publish").get_data(as_text=True)
    token = CSRF_PATTERN.search(form).group(1)
    answer = client.post(
        "/admin/waves/demo/publish",
        data={"confirm": "yes", "csrf_token": token},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def kept_pages() -> list:
    return sorted((jobs_dir() / "published").rglob("*.bin"))


def visit(app, client, path: str, language: str) -> bytes:
    """The page as a new visitor in ``language`` gets it (no copy in this process)."""
    app.extensions.pop("sipas_published_pages", None)
    client.set_cookie(app.config["LANGUAGE_COOKIE"], language)
    answer = client.get(path)
    assert answer.status_code == 200, path
    return answer.get_data()


def test_publishing_a_large_round_makes_its_pages_before_anyone_asks(
    closed, demo_app, demo_client, login_as, computed_scopes
):
    shown = publish(demo_client, login_as)
    units = [unit.code for unit in publication.ranked_units(closed)]
    assert len(units) >= 2
    assert READY.format(n=(1 + len(units)) * 2) in shown
    # the round and each unit it ranks, once per language (results in each)
    assert sorted(computed_scopes) == sorted(
        ["", *units] * len(demo_app.config["LANGUAGES"])
    )
    assert len(kept_pages()) == len(computed_scopes)
    paths = ["/ket-qua/demo", *(f"/ket-qua/demo/{code}" for code in units)]
    visitor = demo_app.test_client()
    made = {
        (path, language): visit(demo_app, visitor, path, language)
        for path in paths
        for language in demo_app.config["LANGUAGES"]
    }
    assert len(computed_scopes) == len(made)  # every visitor was served what was made
    # the same bytes as a visitor's own request makes with nothing kept
    shutil.rmtree(jobs_dir() / "published")
    for (path, language), body in made.items():
        assert visit(demo_app, visitor, path, language) == body
    assert len(computed_scopes) == 2 * len(made)


def test_a_small_round_is_left_to_its_first_visitor(
    closed, demo_app, demo_client, login_as, computed_scopes
):
    demo_app.config["JOBS_MIN_RESULTS_RESPONSES"] = RESPONSES + 1
    shown = publish(demo_client, login_as)
    assert "Các trang công khai" not in shown
    assert computed_scopes == []
    assert kept_pages() == []


def test_a_page_already_kept_is_not_made_again(closed, demo_app, computed_scopes):
    publish_wave(closed, None)
    db.session.commit()
    visit(demo_app, demo_app.test_client(), "/ket-qua/demo", "vi")
    assert computed_scopes == [""]
    with demo_app.test_request_context():
        (first, *_rest) = pages.every_step(wave_by_code("demo"))
        assert pages.make_page("demo", "http://localhost/", first)
    assert computed_scopes == [""]  # kept by the visit


def test_the_steps_are_each_page_once_round_first_default_language_first(
    closed, demo_app, steps_taken
):
    publish_wave(closed, None)
    db.session.commit()
    with demo_app.test_request_context():
        assert queue.prepare_pages(wave_by_code("demo"), "http://localhost/")
        units = [unit.code for unit in publication.ranked_units(closed)]
    expected = [
        pages.PageStep(code, language)
        for language in ("vi", "en")
        for code in ["", *units]
    ]
    assert steps_taken == expected


def test_a_round_taken_down_before_the_worker_comes_gets_no_page(
    closed, demo_app, computed_scopes
):
    publish_wave(closed, None)
    with demo_app.test_request_context():
        steps = pages.every_step(wave_by_code("demo"))
    unpublish_wave(closed, None, "Rà soát số liệu")
    db.session.commit()
    with demo_app.test_request_context():
        assert not pages.make_page("demo", "http://localhost/", steps[0])
    assert computed_scopes == []
    assert kept_pages() == []


def test_a_round_taken_down_while_a_page_is_computed_ends_the_chain(
    closed, demo_app, monkeypatch, steps_taken
):
    publish_wave(closed, None)
    db.session.commit()
    rendered = []
    render = pages.render_published_page

    def taken_down_meanwhile(wave, unit):
        rendered.append(unit)
        body = render(wave, unit)
        unpublish_wave(wave, None, "Rà soát số liệu")
        db.session.commit()  # by an administrator, while the worker computes
        return body

    monkeypatch.setattr(pages, "render_published_page", taken_down_meanwhile)
    with demo_app.test_request_context():
        assert queue.prepare_pages(wave_by_code("demo"), "http://localhost/")
    assert rendered == [None]  # the round's page only: it was not kept
    assert kept_pages() == []
    assert len(steps_taken) == 2  # the next found the round gone: the chain ended


def test_a_page_that_fails_leaves_the_others_made(closed, demo_app, monkeypatch):
    publish_wave(closed, None)
    db.session.commit()
    broken = publication.ranked_units(closed)[0].code
    render = pages.render_published_page

    def failing(wave, unit):
        if unit is not None and unit.code == broken:
            raise RuntimeError("the figures could not be made")
        return render(wave, unit)

    monkeypatch.setattr(pages, "render_published_page", failing)
    with demo_app.test_request_context():
        assert queue.prepare_pages(wave_by_code("demo"), "http://localhost/")
    languages = len(demo_app.config["LANGUAGES"])
    scopes = 1 + len(publication.ranked_units(closed))
    assert len(kept_pages()) == (scopes - 1) * languages


def test_the_rounds_page_tells_how_far_the_pages_are(
    closed, demo_app, computed_scopes, demo_client, login_as
):
    publish_wave(closed, None)
    db.session.commit()
    with demo_app.test_request_context():
        wave = wave_by_code("demo")
        total = len(pages.every_step(wave))
        assert total == (1 + len(publication.ranked_units(wave))) * 2
        assert pages.preparation(wave) == pages.Preparation(0, total)
    visit(demo_app, demo_app.test_client(), "/ket-qua/demo", "en")
    with demo_app.test_request_context():
        assert pages.preparation(wave_by_code("demo")) == pages.Preparation(1, total)
    login_as(demo_client, Role.admin)
    shown = demo_client.get("/admin/waves/demo").get_data(as_text=True)
    assert f"Đã có sẵn 1 / {total} trang công khai chính" in shown
    with demo_app.test_request_context():
        demo_app.config["JOBS_MIN_RESULTS_RESPONSES"] = RESPONSES + 1
        assert pages.preparation(wave_by_code("demo")) is None


def test_a_new_version_makes_them_again_when_its_worker_starts(
    closed, demo_app, demo_client, login_as, computed_scopes, monkeypatch
):
    publish(demo_client, login_as)
    first = len(computed_scopes)
    monkeypatch.setattr(published_pages, "version_digest", lambda _root: "next")
    with demo_app.test_request_context():
        assert queue.prepare_pages_again() == ["demo"]
    assert len(computed_scopes) == 2 * first
    folder = jobs_dir() / "published"
    assert [str(p.relative_to(folder)).split("/")[0] for p in kept_pages()] == [
        "next"
    ] * first
    with demo_app.test_request_context():
        assert queue.prepare_pages_again() == ["demo"]
    assert len(computed_scopes) == 2 * first  # kept already: nothing computed_scopes


def test_a_round_taken_down_or_small_is_not_made_again(
    closed, demo_app, demo_client, login_as, computed_scopes
):
    publish(demo_client, login_as)
    unpublish_wave(closed, None, "Rà soát số liệu")
    db.session.commit()
    with demo_app.test_request_context():
        assert queue.prepare_pages_again() == []
    demo_app.config["JOBS_MIN_RESULTS_RESPONSES"] = RESPONSES + 1
    publish_wave(closed, None)
    db.session.commit()
    with demo_app.test_request_context():
        assert not queue.prepare_pages(closed, "http://localhost/")
        assert queue.prepare_pages_again() == []


def test_the_rounds_own_page_failing_leaves_the_units_pages_made(
    closed, demo_app, monkeypatch
):
    publish_wave(closed, None)
    db.session.commit()
    render = pages.render_published_page

    def failing(wave, unit):
        if unit is None:
            raise RuntimeError("the figures could not be made")
        return render(wave, unit)

    monkeypatch.setattr(pages, "render_published_page", failing)
    with demo_app.test_request_context():
        assert queue.prepare_pages(wave_by_code("demo"), "http://localhost/")
    units = len(publication.ranked_units(closed))
    assert len(kept_pages()) == units * len(demo_app.config["LANGUAGES"])


def test_a_large_round_published_earlier_is_made_for_the_sites_address(
    closed, demo_app, computed_scopes
):
    publish_wave(closed, None)  # as before the worker made pages: no address kept
    db.session.commit()
    with demo_app.test_request_context():
        assert queue.prepare_pages_again() == []
        demo_app.config["PUBLIC_BASE_URL"] = "https://khaosat.example.gov.vn/"
        assert queue.prepare_pages_again() == ["demo"]
        total = len(pages.every_step(wave_by_code("demo")))
        address = published_pages.remembered_address("demo")
    assert address == "https://khaosat.example.gov.vn/"
    assert len(kept_pages()) == total


def test_a_change_after_publication_has_the_pages_made_again(
    closed, demo_app, demo_client, login_as, computed_scopes
):
    """The worker looks every few minutes: pages kept for the round as it is are
    left alone; after a change they are made again before visitors ask."""
    publish(demo_client, login_as)
    made = len(computed_scopes)
    with demo_app.app_context():  # as the worker's periodic task runs
        assert queue.refresh_pages() == []
    assert len(computed_scopes) == made
    renamed = publication.ranked_units(closed)[0]
    renamed.name = "Trung tâm Hành chính công (tên mới)"
    db.session.commit()
    with demo_app.app_context():
        huey = queue.job_queue().huey
        queue.job_queue().refresh_pages()  # the periodic task itself
        assert queue.refresh_pages() == []  # all made again
    periodic = {task.name for task in huey._registry.periodic_tasks}
    assert "sipas.pages.refresh" in periodic
    assert len(computed_scopes) == 2 * made
    page = visit(demo_app, demo_app.test_client(), "/ket-qua/demo", "vi")
    assert "Trung tâm Hành chính công (tên mới)" in page.decode()
    assert len(computed_scopes) == 2 * made  # served as the worker made it


def test_pages_left_to_visitors_are_not_made_by_the_periodic_look(
    closed, demo_app, computed_scopes
):
    """A round whose pages the worker never made (published before it did, no
    address kept) is left as it was."""
    publish_wave(closed, None)
    db.session.commit()
    with demo_app.app_context():
        assert queue.refresh_pages() == []
    assert computed_scopes == []
