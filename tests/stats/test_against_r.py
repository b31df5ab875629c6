"""Every number of `flask sipas stats` JSON agrees with R's survey package.

R runs from the test when Rscript is installed (`make test` installs it); the golden
files under tests/stats/golden/ were written by the same R script, so the comparison
also runs where R is absent.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.stats.survey_data import (
    CRITERIA,
    POSTSTRATIFY_SPEC,
    RAKE_SPEC,
    write_survey_csv,
)

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
FACTORS = {f: [c for c in CRITERIA if c[0] == f] for f in "ABCDE"}
CASES = [
    ("adjust", "logit", "0.95", None),
    ("certainty", "logit", "0.95", None),
    ("average", "beta", "0.95", None),
    ("adjust", "wald", "0.9", None),
    ("adjust", "beta", "0.95", None),
    ("adjust", "logit", "0.95", "poststratify"),
    ("adjust", "beta", "0.95", "poststratify"),
    ("adjust", "logit", "0.95", "rake"),
    ("average", "wald", "0.95", "rake"),
    # respondents who skipped a margin question (sex, age): their own cell
    ("adjust", "logit", "0.95", "poststratify-unanswered"),
    ("adjust", "logit", "0.95", "rake-unanswered"),
]
SPECS = {
    "poststratify": POSTSTRATIFY_SPEC,
    "rake": RAKE_SPEC,
    "poststratify-unanswered": POSTSTRATIFY_SPEC,
    "rake-unanswered": RAKE_SPEC,
}
#: Share of the calibration answers left empty in the "-unanswered" cases.
UNANSWERED_SHARE = 0.12
#: Relative differences allowed from R: indices, standard errors and design effects
#: agree to some 1e-14 and interval bounds to 3e-14 (6 December 2026); an absolute
#: 1e-9 had let a standard error of 1e-4 be off by 1e-5 of itself.
TOLERANCE = 1e-12
INTERVAL_TOLERANCE = 1e-12
#: Below this, a difference is a rounding of zero (a zero SE, a 0 % bound).
ZERO = 1e-15


Case = tuple[str, str, str, str | None]


def case_name(case: Case) -> str:
    """lonely-ci-level[-calibration], also the golden file's name."""
    return "-".join(part for part in case if part)


def spec_file(folder: Path, case: Case) -> list[str]:
    """The calibration JSON of the case, written for both sides, as an argument list."""
    if case[3] is None:
        return []
    path = folder / f"calibration-{case[3]}.json"
    path.write_text(json.dumps(SPECS[case[3]]), encoding="utf-8")
    return [str(path)]


def survey_csv(folder: Path, case: Case) -> Path:
    """The generated survey file of the case (calibration answers left empty in
    the "-unanswered" cases)."""
    unanswered = UNANSWERED_SHARE if (case[3] or "").endswith("-unanswered") else 0
    return write_survey_csv(
        folder / f"survey-{unanswered}.csv", unanswered_share=unanswered
    )


def r_arguments(folder: Path, case: Case) -> list[str]:
    """oracle.R's arguments for the case (with domains by `group`)."""
    lonely, ci, level, _calibration = case
    spec = ";".join(f"{f}={'+'.join(codes)}" for f, codes in FACTORS.items())
    csv_path = str(survey_csv(folder, case))
    arguments = [csv_path, ",".join(CRITERIA), spec, lonely, ci, level, "group"]
    return [*arguments, *spec_file(folder, case)]


@pytest.fixture(scope="module")
def r_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict] | None:
    """R's numbers for every case, from one R session (None where R is absent)."""
    if not shutil.which("Rscript"):
        return None
    folder = tmp_path_factory.mktemp("oracle")
    cases = folder / "cases.json"
    cases.write_text(json.dumps([r_arguments(folder, case) for case in CASES]))
    completed = subprocess.run(
        ["Rscript", str(HERE / "oracle_batch.R"), str(cases)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = completed.stdout.splitlines()
    assert len(lines) == len(CASES), completed.stdout + completed.stderr
    return {
        case_name(c): json.loads(line) for c, line in zip(CASES, lines, strict=True)
    }


def reference(r_results: dict[str, dict] | None, case: Case) -> dict:
    """R's numbers: fresh from R when available (kept as golden), else golden."""
    golden = GOLDEN / f"{case_name(case)}.json"
    if r_results is not None:
        result = r_results[case_name(case)]
        GOLDEN.mkdir(exist_ok=True)
        text = json.dumps(result, indent=1, sort_keys=True)
        if not golden.exists() or json.loads(golden.read_text()) != result:
            golden.write_text(text + "\n")
        return result
    if not golden.exists():
        pytest.fail(f"neither Rscript nor {golden} is available")
    return json.loads(golden.read_text())


def ours(runner, tmp_path: Path, csv_path: Path, case: Case) -> dict:
    lonely, ci, level, calibration = case
    extra = ["--calibrate", *spec_file(tmp_path, case)] if calibration else []
    result = runner.invoke(
        args=[
            "sipas",
            "stats",
            str(csv_path),
            "--questionnaire",
            "sipas-2017",
            "--ci",
            ci,
            "--level",
            level,
            "--lonely-psu",
            lonely,
            "--by",
            "group",
            *extra,
        ]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def assert_close(mine, theirs, tolerance, where):
    """``mine`` is R's ``theirs`` to ``tolerance`` of it (or both about zero)."""
    assert mine is not None, where
    allowed = tolerance * abs(theirs) + ZERO
    assert abs(mine - theirs) <= allowed, f"{where}: {mine} vs R {theirs}"


def compare_domain(mine: dict, theirs: dict, where: str) -> None:
    by_code = {row["code"]: row for row in theirs["criteria"]}
    for row in mine["criteria"]:
        if row["n"] == 0:
            assert row["code"] not in by_code
            continue
        reference_row = by_code[row["code"]]
        for key in ("n", "satisfied", "df"):
            assert row[key] == reference_row[key], f"{where} {row['code']} {key}"
        for key in ("index", "se", "deff", "deff_kish"):
            assert_close(
                row[key], reference_row[key], TOLERANCE, f"{where} {row['code']} {key}"
            )
        for bound in (0, 1):
            assert_close(
                row["ci"][bound],
                reference_row["ci"][bound],
                INTERVAL_TOLERANCE,
                f"{where} {row['code']} ci",
            )
        assert (
            row.get("ci_method", reference_row["ci_method"])
            == reference_row["ci_method"]
        )
    pairs = list(zip(mine["factors"], theirs["factors"], strict=True))
    pairs.append((mine["overall"], theirs["overall"]))
    for row, reference_row in pairs:
        name = f"{where} {row.get('code', 'overall')}"
        assert row["df"] == reference_row["df"], name
        for key in ("index", "se"):
            assert_close(row[key], reference_row[key], TOLERANCE, f"{name} {key}")
        for bound in (0, 1):
            assert_close(
                row["ci"][bound],
                reference_row["ci"][bound],
                INTERVAL_TOLERANCE,
                f"{name} ci",
            )


@pytest.mark.parametrize("case", CASES, ids=[case_name(c) for c in CASES])
def test_every_number_agrees_with_r(runner, tmp_path, r_results, case):
    csv_path = survey_csv(tmp_path, case)
    mine = ours(runner, tmp_path, csv_path, case)
    theirs = reference(r_results, case)
    assert mine["meta"]["rows"] == theirs["meta"]["rows"]
    assert mine["meta"]["strata"] == theirs["meta"]["strata"]
    assert mine["meta"]["df"] == theirs["meta"]["df"]
    compare_domain(mine, theirs, "all")
    assert [g["value"] for g in mine["groups"]] == [
        g["value"] for g in theirs["groups"]
    ]
    for group, reference_group in zip(mine["groups"], theirs["groups"], strict=True):
        compare_domain(group, reference_group, f"group {group['value']}")


def test_the_data_is_awkward_enough(tmp_path):
    """The generated file has what the comparison must cover."""
    with write_survey_csv(tmp_path / "s.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    psus_by_stratum: dict[str, set[str]] = {}
    for row in rows:
        psus_by_stratum.setdefault(row["stratum"], set()).add(row["psu"])
    assert any(len(p) == 1 for p in psus_by_stratum.values())  # a lonely PSU
    assert len({row["weight"] for row in rows}) > len(rows) // 2  # unequal weights
    answered_e = sum(1 for row in rows if row["E1"] not in ("", "9"))
    assert answered_e < len(rows) / 4  # factor E mostly skipped
    c1 = [row["C1"] for row in rows if row["C1"] in "12345" and row["C1"]]
    assert sum(v in "45" for v in c1) / len(c1) > 0.85  # a near-ceiling criterion
