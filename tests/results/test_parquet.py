"""The responses as Parquet: the fourth download on the results page and
`flask sipas export --format parquet`; one typed row per counted response, the
same rows and design as the stats CSV, the questionnaire's wording as metadata."""

from __future__ import annotations

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sipas.models import Role
from sipas.services.questionnaires import parsed
from sipas.services.results import exports
from tests.factories import filled_demo_wave


@pytest.fixture
def filled_wave(demo_app, monkeypatch):
    """The demo wave with 700 responses, read in three batches (row groups)."""
    monkeypatch.setattr(exports, "BATCH", 300)
    return filled_demo_wave(700, seed=3)


def stats_csv(wave) -> list[dict[str, str]]:
    text = exports.stats_csv(wave)
    return list(csv.DictReader(io.StringIO(text)))


def check_against_csv(table: pa.Table, wave) -> None:
    """Same responses, design and answers as the stats CSV, typed."""
    questionnaire = parsed(wave.questionnaire)
    rows = stats_csv(wave)
    assert table.num_rows == len(rows) == 700
    assert table.column_names == list(rows[0])
    for code in (item.code for item in questionnaire.criteria):
        assert table.schema.field(code).type == pa.int8()
        expected = [int(r[code]) if r[code] else None for r in rows]
        assert table.column(code).to_pylist() == expected
    assert table.schema.field("weight").type == pa.float64()
    assert table.column("weight").to_pylist() == [float(r["weight"]) for r in rows]
    for name in ("response_id", "stratum", "psu", "unit", "channel", "field"):
        assert table.column(name).to_pylist() == [r[name] or None for r in rows]
    # at least one criterion is left unanswered somewhere: null, not 0
    assert any(table.column(c.code).null_count for c in questionnaire.criteria)


def check_metadata(table: pa.Table, wave) -> None:
    questionnaire = parsed(wave.questionnaire)
    about = json.loads(table.schema.metadata[b"sipas"])
    assert about["wave"] == "demo"
    assert about["design"] == {"strata": "stratum", "ids": "psu", "weights": "weight"}
    language = questionnaire.languages[0]
    for item in questionnaire.items:
        field = table.schema.field(item.code)
        assert field.metadata[b"label"].decode() == item.label.get_text(language)
        if item.choices:
            choices = json.loads(field.metadata[b"choices"])
            assert choices == {c.code: c.label.get_text(language) for c in item.choices}


def test_the_command_writes_the_responses_as_parquet(filled_wave, app, tmp_path):
    target = tmp_path / "demo.parquet"
    result = app.test_cli_runner().invoke(
        args=["sipas", "export", "demo", "--format", "parquet", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert pq.ParquetFile(target).num_row_groups == 3  # one per batch
    table = pq.read_table(target)
    check_against_csv(table, filled_wave)
    check_metadata(table, filled_wave)


def test_the_results_page_offers_parquet_and_serves_it(
    filled_wave, demo_client, login_as
):
    login_as(demo_client, Role.admin)
    page = demo_client.get("/admin/results/demo").get_data(as_text=True)
    assert 'href="/admin/results/demo/download.parquet"' in page
    response = demo_client.get("/admin/results/demo/download.parquet")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.apache.parquet"
    assert "demo" in response.headers["Content-Disposition"]
    assert ".parquet" in response.headers["Content-Disposition"]
    table = pq.read_table(io.BytesIO(response.get_data()))
    check_against_csv(table, filled_wave)
