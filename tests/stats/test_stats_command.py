"""`flask sipas stats`: bad files get a clear message naming row and column."""

from __future__ import annotations

import json

import pytest

from tests.stats.survey_data import write_survey_csv

HEADER = "response_id,stratum,psu,weight,A1,A2,group"


def run(runner, tmp_path, text: str, *extra: str):
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(
        args=["sipas", "stats", str(path), "--questionnaire", "sipas-2017", *extra]
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("r1,S1,P1,2,7,4,x", "Dòng 2, cột A1"),
        ("r1,S1,P1,0,4,4,x", "Dòng 2, cột weight"),
        ("r1,S1,P1,-3,4,4,x", "không phải một số dương"),
        ("r1,S1,P1,abc,4,4,x", "Dòng 2, cột weight"),
        ("r1,,P1,2,4,4,x", "Dòng 2, cột stratum"),
        ("r1,S1,,2,4,4,x", "Dòng 2, cột psu"),
        ("r1,S1,P1,2,4,4", "Dòng 2 không có đủ"),
    ],
)
def test_bad_rows_are_named(runner, tmp_path, rows, expected):
    result = run(runner, tmp_path, f"{HEADER}\n{rows}\n")
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output


def test_unknown_item_column_is_named(runner, tmp_path):
    result = run(
        runner, tmp_path, "response_id,stratum,psu,weight,A1,F7\nr1,S,P,1,4,2\n"
    )
    assert result.exit_code == 1
    assert "F7" in result.output


def test_missing_column(runner, tmp_path):
    result = run(runner, tmp_path, "response_id,stratum,weight,A1\nr1,S,1,4\n")
    assert result.exit_code == 1
    assert "psu" in result.output


def test_every_bad_row_is_listed(runner, tmp_path):
    result = run(runner, tmp_path, f"{HEADER}\nr1,S1,P1,2,7,4,x\nr2,S1,P1,2,4,8,x\n")
    assert "Dòng 2, cột A1" in result.output
    assert "Dòng 3, cột A2" in result.output


def stats_of_survey(runner, tmp_path, *extra: str):
    """Run the command on the generated survey file with extra options."""
    path = write_survey_csv(tmp_path / "s.csv")
    return runner.invoke(
        args=["sipas", "stats", str(path), "--questionnaire", "sipas-2017", *extra]
    )


def test_lonely_psu_fail_names_the_stratum(runner, tmp_path):
    result = stats_of_survey(runner, tmp_path, "--lonely-psu", "fail")
    assert result.exit_code == 1
    assert "S4" in result.output


def test_by_needs_an_existing_column(runner, tmp_path):
    result = stats_of_survey(runner, tmp_path, "--by", "nope")
    assert result.exit_code == 1
    assert "nope" in result.output


def test_json_has_the_contract_shape(runner, tmp_path):
    result = stats_of_survey(runner, tmp_path)
    document = json.loads(result.output)
    assert set(document) == {"meta", "criteria", "factors", "overall", "indices"}
    assert set(document["meta"]) == {
        "rows",
        "strata",
        "psus",
        "df",
        "level",
        "ci_method",
        "index_ci_method",
        "lonely_psu",
        "questionnaire",
    }
    assert {
        "code",
        "factor",
        "n",
        "satisfied",
        "index",
        "se",
        "df",
        "ci",
        "deff",
        "deff_kish",
    } <= set(document["criteria"][0])
    assert [f["code"] for f in document["factors"]] == list("ABCDE")
    assert set(document["overall"]) >= {"index", "se", "df", "ci", "deff"}
    assert 0 <= document["overall"]["index"] <= 1


def test_table_is_readable_vietnamese(runner, tmp_path):
    result = stats_of_survey(runner, tmp_path, "--format", "table", "--by", "group")
    assert result.exit_code == 0, result.output
    document = json.loads(stats_of_survey(runner, tmp_path, "--by", "group").output)
    lines = result.output.splitlines()
    assert lines[3].split()[:3] == ["Mã", "Chỉ", "số"]  # headings in Vietnamese
    assert "Giá trị" in lines[3]
    assert "Khoảng tin cậy" in lines[3]
    overall = next(line for line in lines if line.startswith("SIPAS"))
    assert "Chỉ số chung" in overall

    def vietnamese_percent(value: float) -> str:
        return f"{value * 100:.2f}%".replace(".", ",")

    assert vietnamese_percent(document["overall"]["index"]) in overall
    low, high = document["overall"]["ci"]
    assert f"[{vietnamese_percent(low)}; {vietnamese_percent(high)}]" in overall
    assert "group = web" in result.output


def test_unweighted_gives_plain_shares(runner, tmp_path):
    path = tmp_path / "u.csv"
    path.write_text(
        "response_id,stratum,psu,weight,A1\n"
        "r1,S,P1,10,4\nr2,S,P1,99,2\nr3,S,P2,1,5\nr4,S,P2,7,1\nr5,S,P3,3,4\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        args=[
            "sipas",
            "stats",
            str(path),
            "--questionnaire",
            "sipas-2017",
            "--unweighted",
            "--ci",
            "wilson",
        ]
    )
    assert result.exit_code == 0, result.output
    a1 = json.loads(result.output)["criteria"][0]
    assert a1["index"] == pytest.approx(3 / 5)


def test_wilson_needs_unweighted(runner, tmp_path):
    result = stats_of_survey(runner, tmp_path, "--ci", "wilson")
    assert result.exit_code == 1
    assert "--unweighted" in result.output


def test_trimming_changes_the_weights_not_the_shape(runner, tmp_path):
    plain = json.loads(stats_of_survey(runner, tmp_path).output)
    trimmed = json.loads(stats_of_survey(runner, tmp_path, "--trim-upper", "40").output)
    assert trimmed["meta"] == plain["meta"]
    assert trimmed["overall"]["index"] != plain["overall"]["index"]


def test_calibration_file_errors_are_explained(runner, tmp_path):
    spec = tmp_path / "cal.json"
    spec.write_text(
        '{"method": "rake", "margins": [{"columns": ["sex"], '
        '"population": {"male": 10}}]}',
        encoding="utf-8",
    )
    result = stats_of_survey(runner, tmp_path, "--calibrate", str(spec))
    assert result.exit_code == 1
    assert "Không thể hiệu chỉnh trọng số" in result.output
    assert "female" in result.output


def test_table_marks_small_samples(runner, tmp_path):
    result = stats_of_survey(runner, tmp_path, "--format", "table")
    lines = result.output.splitlines()
    e1 = next(line for line in lines if line.strip().startswith("E1"))
    a1 = next(line for line in lines if line.strip().startswith("A1"))
    assert e1.endswith(" *")  # factor E is answered by few
    assert not a1.endswith(" *")
    assert "Cỡ mẫu quá nhỏ để công bố" in result.output


def test_a_file_broken_everywhere_lists_the_first_problems(runner, tmp_path):
    rows = "\n".join(f"r{i},S1,P1,2,7,4,x" for i in range(80))
    result = run(runner, tmp_path, f"{HEADER}\n{rows}\n")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 51
    assert lines[0].startswith("Dòng 2, cột A1")
    assert "50" in lines[-1]
    assert "Traceback" not in result.output


def test_an_index_over_a_factor_nobody_answered_is_undefined_throughout(
    runner, tmp_path
):
    """Only A1 and A2 answered: the overall index (over five factors) has no
    value, and so no standard error, interval or design effect; the table says
    "–", never NaN."""
    rows = "\n".join(
        f"r{k},S{k % 2},P{k},{1 + k % 3},{4 + k % 2},{3 + k % 3},x" for k in range(8)
    )
    document = json.loads(run(runner, tmp_path, f"{HEADER}\n{rows}\n").output)
    overall = document["overall"]
    assert overall["index"] is None
    assert (overall["se"], overall["ci"], overall["deff"]) == (None, [None, None], None)
    table = run(runner, tmp_path, f"{HEADER}\n{rows}\n", "--format", "table").output
    assert "NaN" not in table
    sipas = next(line for line in table.splitlines() if line.startswith("SIPAS"))
    assert "–" in sipas


def test_an_unknown_questionnaire_is_named_in_words(runner, tmp_path):
    path = tmp_path / "file.csv"
    path.write_text(f"{HEADER}\nr1,S1,P1,2,4,4,x\n", encoding="utf-8")
    result = runner.invoke(
        args=["sipas", "stats", str(path), "--questionnaire", "nope"]
    )
    assert result.exit_code == 1
    assert "Không có phiếu khảo sát nào mang mã “nope”" in result.output
    assert "Errno" not in result.output
