"""`sipas-stats` (and `python -m sipas.stats`): `flask sipas stats` without the web
app: the same output, translated messages, none of Flask, SQLAlchemy or openpyxl."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.stats.survey_data import write_survey_csv

#: What the statistics never need; importing them costs most of a second.
WEB_MODULES = ("flask", "sqlalchemy", "openpyxl", "werkzeug", "jinja2")


def standalone(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """``python -m sipas.stats ARGS`` in a process of its own."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("SIPAS_")
    }
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, **environment},
        check=False,
    )


@pytest.fixture(scope="module")
def survey_csv(tmp_path_factory):
    return write_survey_csv(tmp_path_factory.mktemp("standalone") / "survey.csv")


@pytest.mark.parametrize("output_format", ["json", "table"])
def test_prints_exactly_what_the_flask_command_prints(
    runner, survey_csv, output_format
):
    arguments = [str(survey_csv), "--questionnaire", "sipas-2017", "--by", "group"]
    arguments += ["--format", output_format]
    ours = standalone("-m", "sipas.stats", *arguments)
    flask = runner.invoke(args=["sipas", "stats", *arguments])
    assert ours.returncode == flask.exit_code == 0, ours.stderr
    assert ours.stdout == flask.output


def test_imports_nothing_of_the_web_application(survey_csv):
    arguments = [str(survey_csv), "--questionnaire", "sipas-2017"]
    ours = standalone("-X", "importtime", "-m", "sipas.stats", *arguments)
    assert ours.returncode == 0
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in ours.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "numpy" in imported  # the check sees what was imported
    assert imported.isdisjoint(WEB_MODULES)


def test_a_survey_file_is_read_without_scipy_or_pyarrow(survey_csv):
    # scipy.special alone took 0.25 s of CPU to import (most of the start-up), and
    # pyarrow takes longer to import than a small file takes to read
    arguments = [str(survey_csv), "--questionnaire", "sipas-2017", "--by", "group"]
    ours = standalone("-X", "importtime", "-m", "sipas.stats", *arguments)
    assert ours.returncode == 0, ours.stderr
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in ours.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "numpy" in imported
    assert imported.isdisjoint({"scipy", "pyarrow"})


@pytest.mark.parametrize(
    ("language", "expected"),
    [("vi", "Dòng 2, cột A1"), ('"en"', "Row 2, column A1")],
)
def test_problems_are_told_in_the_configured_language(tmp_path, language, expected):
    path = tmp_path / "bad.csv"
    path.write_text("response_id,stratum,psu,weight,A1\nr1,S1,P1,2,7\n", "utf-8")
    ours = standalone(
        "-m",
        "sipas.stats",
        str(path),
        "--questionnaire",
        "sipas-2017",
        SIPAS_BABEL_DEFAULT_LOCALE=language,
    )
    assert ours.returncode == 1
    assert expected in ours.stderr
    assert "Traceback" not in ours.stderr


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("vi", ["Cách dùng: sipas-stats", "Lỗi: Thiếu tùy chọn '--questionnaire'."]),
        ('"en"', ["Usage: sipas-stats", "Error: Missing option '--questionnaire'."]),
    ],
)
def test_the_command_line_is_read_in_the_configured_language(
    survey_csv, language, expected
):
    ours = standalone(
        *("-X", "importtime", "-m", "sipas.stats", str(survey_csv)),
        SIPAS_BABEL_DEFAULT_LOCALE=language,
    )
    assert ours.returncode == 2
    for text in expected:
        assert text in ours.stderr
    # the catalogs are read with the standard library: Babel's import took 37 ms
    assert " babel" not in ours.stderr


@pytest.mark.parametrize(
    ("language", "expected"),
    [("vi", "tệp không tồn tại"), ('"en"', "the file does not exist")],
)
def test_a_missing_file_is_told_in_the_configured_language(
    tmp_path, language, expected
):
    missing = str(tmp_path / "none.csv")
    ours = standalone(
        *("-m", "sipas.stats", missing, "--questionnaire", "sipas-2017"),
        SIPAS_BABEL_DEFAULT_LOCALE=language,
    )
    assert ours.returncode == 1
    assert expected in ours.stderr
    assert "No such file" not in ours.stderr


def test_a_questionnaire_folder_can_be_set(tmp_path, survey_csv):
    ours = standalone(
        "-m",
        "sipas.stats",
        str(survey_csv),
        "--questionnaire",
        "sipas-2017",
        SIPAS_QUESTIONNAIRE_DIR=str(tmp_path),
    )
    assert ours.returncode == 1
    assert str(tmp_path) in ours.stderr


def test_is_installed_as_the_sipas_stats_command():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    scripts = setup["options.entry_points"]["console_scripts"]
    assert "sipas-stats = sipas.cli.launch:stats" in scripts
    from sipas.cli.launch import stats

    assert callable(stats)


@pytest.mark.parametrize(("extra", "exit_code"), [((), 0), (("--by", "nope"), 1)])
def test_exits_with_the_command_code_its_objects_frozen(survey_csv, extra, exit_code):
    """main() hands the interpreter's shutdown nothing to collect, whichever way the
    command ends."""
    script = (
        "import atexit, gc, sys\n"
        "from sipas.cli.stats import main\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0,"
        " file=sys.stderr))\n"
        "main()\n"
    )
    arguments = [str(survey_csv), "--questionnaire", "sipas-2017", *extra]
    ours = standalone("-c", script, *arguments)
    assert ours.returncode == exit_code
    assert ours.stderr.endswith("frozen True\n")
    assert ('"overall"' in ours.stdout) == (exit_code == 0)


def test_a_round_whose_responses_are_its_psus_is_analysed_without_scipy(tmp_path):
    """A PSU per response gives degrees of freedom near the responses (here 1 198),
    past what the incomplete beta works out: the t quantile comes from the normal
    one, not from scipy (whose import took 0.14 s of such a run)."""
    rows = "".join(
        f"r{i},S{i % 2},R{i},1.5,{4 + i % 2},{3 + i % 3}\n" for i in range(1200)
    )
    path = tmp_path / "each.csv"
    path.write_text(f"response_id,stratum,psu,weight,A1,A2\n{rows}", encoding="utf-8")
    arguments = [str(path), "--questionnaire", "sipas-2017"]
    ours = standalone("-X", "importtime", "-m", "sipas.stats", *arguments)
    assert ours.returncode == 0, ours.stderr
    assert '"df": 1198' in ours.stdout
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in ours.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "numpy" in imported
    assert "scipy" not in imported
