"""The published results: /ket-qua and its pages, anonymous, cacheable, and only
for published rounds."""

from __future__ import annotations

import re

import pytest

from sipas.extensions import db
from sipas.models import WaveStatus
from sipas.services import synthetic
from sipas.services.results.publication import published_results
from sipas.services.waves.admin import change_status
from sipas.services.waves.lookup import wave_by_code
from sipas.services.waves.publication import publish_wave, unpublish_wave

UNIT = "QN-HALONG-TT"


@pytest.fixture
def closed_wave(demo_app):
    """The demo round with 600 responses, closed (not published)."""
    wave = wave_by_code("demo")
    synthetic.add_demo_responses(wave, 600, seed=5)
    change_status(wave, WaveStatus.closed, None)
    db.session.commit()
    return wave


@pytest.fixture
def published(closed_wave):
    publish_wave(closed_wave, None)
    db.session.commit()
    return closed_wave


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    ["/ket-qua/demo", f"/ket-qua/demo/{UNIT}", f"/ket-qua/demo/{UNIT}/ap-phich.pdf"],
)
def test_a_round_not_published_is_a_404(closed_wave, demo_client, url):
    assert demo_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/ket-qua/demo", f"/ket-qua/demo/{UNIT}", f"/ket-qua/demo/{UNIT}/ap-phich.pdf"],
)
def test_a_round_unpublished_later_is_a_404_again(published, demo_client, url):
    assert demo_client.get(url).status_code == 200
    unpublish_wave(published, None, "Số liệu cần rà soát lại")
    db.session.commit()
    assert demo_client.get(url).status_code == 404


def test_a_unit_outside_the_round_is_a_404(published, demo_client):
    assert demo_client.get("/ket-qua/demo/KHONG-CO").status_code == 404
    assert demo_client.get("/ket-qua/demo/QN").status_code == 200  # the province


def test_round_page_shows_the_computed_figures(published, demo_app, demo_client):
    html = page(demo_client, "/ket-qua/demo")
    with demo_app.test_request_context():
        doc = published_results(published, None)
        overall = doc.results.indices.overall
        from sipas.i18n import format_percent

        sipas_text = format_percent(overall.estimate.value, 1)
        interval = format_percent(overall.interval.lower, 1)
        harassment = format_percent(doc.perceptions[0].value, 1)
    assert sipas_text in html
    assert interval in html
    assert harassment in html
    assert "khoảng tin cậy 95%" in html.lower()
    # the questionnaire's wording of the four perception questions
    for figure in doc.perceptions:
        assert figure.question in html
    assert [f.item for f in doc.perceptions] == [
        "harassment",
        "unofficial_payment",
        "on_time",
        "trips",
    ]
    # every ranked unit links to its own page
    for ranked in doc.results.ranking:
        assert f"/ket-qua/demo/{ranked.unit.code}" in html
    assert "Công bố ngày" in html


def test_page_is_cacheable_and_sets_no_cookie(published, demo_client):
    response = demo_client.get("/ket-qua/demo")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.cache_control.public
    assert response.cache_control.max_age > 0
    assert response.headers["ETag"]
    assert response.last_modified is not None
    again = demo_client.get(
        "/ket-qua/demo", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_etag_changes_with_a_new_publication(published, demo_client):
    first = demo_client.get("/ket-qua/demo").headers["ETag"]
    unpublish_wave(published, None, "Sửa đơn vị")
    publish_wave(published, None)
    db.session.commit()
    assert demo_client.get("/ket-qua/demo").headers["ETag"] != first


def test_no_comment_text_and_nothing_row_level(published, demo_client):
    html = page(demo_client, "/ket-qua/demo")
    comments = db.session.execute(
        db.text("SELECT value FROM answers WHERE item_code = 'comment' LIMIT 20")
    ).scalars()
    for comment in comments:
        if comment and len(str(comment)) > 12:
            assert str(comment).strip('"') not in html


def test_small_unit_figures_are_not_shown(published, demo_app, demo_client):
    # a unit below the small-sample threshold: nothing but the sentence
    demo_app.config["STATS_MIN_N"] = 100_000
    html = page(demo_client, f"/ket-qua/demo/{UNIT}")
    figures = re.findall(r'class="sipas-figure[^"]*">([^<]+)<', html)
    assert figures == ["Chưa đủ số phiếu để công bố"]
    assert 'class="perception-figure">' not in html


def test_list_and_landing_page_link_the_published_round(published, demo_client):
    assert "/ket-qua" in page(demo_client, "/")
    html = page(demo_client, "/ket-qua")
    assert "/ket-qua/demo" in html


def test_list_is_empty_before_publication(closed_wave, demo_client):
    assert "/ket-qua/demo" not in page(demo_client, "/ket-qua")


def test_a_new_visitor_gets_the_page_without_computing_again(
    published, demo_client, computed_scopes
):
    calls = computed_scopes
    first = page(demo_client, "/ket-qua/demo")
    assert page(demo_client, "/ket-qua/demo") == first  # no If-None-Match sent
    assert len(calls) == 1
    unpublish_wave(published, None, "Sửa số liệu")
    publish_wave(published, None)
    db.session.commit()
    page(demo_client, "/ket-qua/demo")
    assert len(calls) == 2  # a new publication is a new page


def test_publication_is_dated_in_the_sites_time_zone(
    closed_wave, demo_client, monkeypatch
):
    from datetime import UTC, datetime

    from sipas.services import clock

    # 18:30 UTC is 01:30 the next morning in Hà Nội
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 4, 18, 30, tzinfo=UTC))
    publish_wave(closed_wave, None)
    db.session.commit()
    assert "Công bố ngày 05/12/2026" in page(demo_client, "/ket-qua/demo")
    assert "Công bố ngày 05/12/2026" in page(demo_client, "/ket-qua")


def test_a_ranked_unit_with_too_few_answers_has_no_rank_nor_figure(
    published, demo_app, demo_client
):
    with demo_app.test_request_context():
        ranking = published_results(published, None).results.ranking
    counts = sorted(u.overall.estimate.n for u in ranking)
    demo_app.config["STATS_MIN_N"] = counts[1] + 1  # the two smallest hidden ...
    hidden = sum(1 for n in counts if n <= counts[1])  # ... and any tied with them
    with demo_app.test_request_context():
        doc = published_results(published, None)
    assert len(doc.ranking_hidden) == hidden >= 2
    html = page(demo_client, "/ket-qua/demo")
    table = html[html.index('class="public-table ranking"') :]
    ranks = re.findall(r'<td class="num">([^<\s]+)', table)
    shown = [str(k) for k in range(1, len(doc.ranking_shown) + 1)]
    assert ranks == shown + ["–"] * hidden
    for unit in doc.ranking_hidden:
        row = table[table.index(unit.unit.name) :]
        assert row.index("chưa đủ số phiếu") < row.index("</tr>")


def test_the_method_counts_one_office_in_the_singular(published, demo_app):
    """A centre's page: "at 1 office", and the questionnaire's title quoted."""
    client = demo_app.test_client()
    client.set_cookie(demo_app.config["LANGUAGE_COOKIE"], "en")
    english = page(client, "/ket-qua/demo/QN-HALONG-TT")
    assert re.search(r"people answered at 1 office\.", english)
    assert "1 offices" not in english
    vietnamese = page(demo_app.test_client(), "/ket-qua/demo/QN-HALONG-TT")
    assert re.search(r"phiếu khảo sát ẩn danh “[^”]+”\.", vietnamese)
