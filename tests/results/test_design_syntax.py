"""`flask sipas export --design-syntax r|stata`: the lines that declare the file's
design. The R lines are run on the exported CSV and Parquet file by R's `survey`,
and the overall index they give is the one in the platform's JSON."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from sipas.services.questionnaires import parsed
from tests.factories import filled_demo_wave

needs_r = pytest.mark.skipif(not shutil.which("Rscript"), reason="needs Rscript")


@pytest.fixture
def filled_wave(demo_app):
    return filled_demo_wave(400, seed=6)


def export(app, tmp_path, fmt: str, *extra: str):
    target = tmp_path / f"demo.{fmt}"
    result = app.test_cli_runner().invoke(
        args=["sipas", "export", "demo", "--format", fmt, "-o", str(target), *extra]
    )
    assert result.exit_code == 0, result.output
    return target, result.output


def overall_in_r(wave) -> str:
    """R lines computing the overall index from ``design``: the factor-weighted mean
    of each factor's mean criterion ratio."""
    questionnaire = parsed(wave.questionnaire)
    total = sum(f.weight for f in questionnaire.factors)
    parts, columns = [], []
    for factor in questionnaire.factors:
        codes = [c.code for c in questionnaire.criteria if c.factor == factor.code]
        ratios = "+".join(f"y_{c}/x_{c}" for c in codes)
        parts.append(f"{factor.weight / total!r}*({ratios})/{len(codes)}")
        columns += [f"y_{c}+x_{c}" for c in codes]
    lines = []
    for criterion in questionnaire.criteria:
        c = criterion.code
        lines.append(f"v <- suppressWarnings(as.numeric(design$variables[['{c}']]))")
        lines.append(
            f"design <- update(design, x_{c} = as.numeric(!is.na(v) & v <= 5),"
        )
        lines.append(
            f"                 y_{c} = as.numeric(!is.na(v) & v >= 4 & v <= 5))"
        )
    lines.append(f"totals <- svytotal(~{'+'.join(columns)}, design)")
    lines.append(
        f"cat(sprintf('%.12f', coef(svycontrast(totals, quote({'+'.join(parts)})))))"
    )
    return "\n".join(lines)


@needs_r
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_r_lines_give_the_platforms_overall_index(filled_wave, app, tmp_path, fmt):
    if fmt == "parquet":
        has_arrow = subprocess.run(
            [
                "Rscript",
                "-e",
                "quit(status = !requireNamespace('arrow', quietly=TRUE))",
            ],
            check=False,
        )
        if has_arrow.returncode:
            pytest.skip("R's arrow package is not installed")
    data, output = export(app, tmp_path, fmt, "--design-syntax", "r")
    script = data.with_suffix(".R")
    assert "svydesign(ids = ~psu, strata = ~stratum, weights = ~weight" in output
    assert script.read_text(encoding="utf-8").strip() in output
    document, _ = export(app, tmp_path, "json")
    expected = json.loads(document.read_text())["overall"]["index"]
    check = tmp_path / "check.R"
    check.write_text(script.read_text() + "\n" + overall_in_r(filled_wave) + "\n")
    found = subprocess.run(
        ["Rscript", str(check)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    assert float(found.stdout.strip().splitlines()[-1]) == pytest.approx(
        expected, abs=1e-9
    )


def test_stata_lines_declare_the_design_of_the_csv(filled_wave, app, tmp_path):
    data, output = export(app, tmp_path, "csv", "--design-syntax", "stata")
    script = data.with_suffix(".do").read_text(encoding="utf-8")
    assert 'import delimited using "demo.csv"' in script
    assert "svyset sipas_psu [pweight=weight], strata(sipas_stratum)" in script
    assert script.strip() in output


def test_stata_cannot_read_parquet(filled_wave, app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["sipas", "export", "demo", "--format", "parquet", "-o",
              str(tmp_path / "x.parquet"), "--design-syntax", "stata"]
    )  # fmt: skip
    assert result.exit_code != 0
    assert not (tmp_path / "x.parquet").exists()
