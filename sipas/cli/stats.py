"""`flask sipas stats FILE.csv …` and `sipas-stats FILE.csv …`: indices of a flat
response file (DESIGN §5).

The same command twice: under `flask sipas` it also finds questionnaires stored in the
database; as `sipas-stats` (or `python -m sipas.stats`) it imports neither Flask nor
SQLAlchemy nor openpyxl, so it starts in a fraction of the time.
"""

from __future__ import annotations

import gc
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import click
import numpy as np

from sipas.cli.reasons import why
from sipas.cli.stopping import StoppableCommand
from sipas.cli.words import speak_the_language
from sipas.config import in_app, setting
from sipas.language import N_
from sipas.language import gettext as _
from sipas.questionnaire import Questionnaire, QuestionnaireError, load_file
from sipas.reports.stats_table import render_table
from sipas.stats.analysis import CalibrationSpec, MarginSpec, analyse
from sipas.stats.calibrate import CalibrationError, CalibrationMethod, trim_weights
from sipas.stats.design import LonelyPsu, LonelyPsuError
from sipas.stats.flatfile import (
    MAX_ERRORS,
    FileProblem,
    FileProblemKind,
    FlatData,
    FlatFileError,
    read_flat_file,
)
from sipas.stats.indices import Options
from sipas.stats.intervals import CiMethod
from sipas.stats.output import analysis_json
from sipas.stats.structure import factor_structure, index_structure

#: Where the shipped questionnaire files are when no setting says otherwise.
SHIPPED_QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "questionnaires"


def resolve_questionnaire(code_or_path: str) -> Questionnaire:
    """A questionnaire file, else the stored version (in the app) or shipped file
    with that code."""
    path = Path(code_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_file(path).questionnaire
    stored = _stored_questionnaire(code_or_path) if in_app() else None
    if stored is not None:
        return stored
    folder = setting("QUESTIONNAIRE_DIR") or SHIPPED_QUESTIONNAIRES
    return load_file(Path(folder) / f"{code_or_path}.yaml").questionnaire


def _stored_questionnaire(code: str) -> Questionnaire | None:
    """The newest stored version of ``code``, if the database has one."""
    from sipas.services import questionnaires

    try:
        version = questionnaires.latest_version(code)
    except Exception:  # noqa: BLE001  (no database yet: fall back to the shipped file)
        return None
    return None if version is None else questionnaires.parsed(version)


def problem_text(problem: FileProblem) -> str:
    """One file problem in the user's language, naming row and column."""
    kind, row, column, value = problem.kind, problem.row, problem.column, problem.value
    messages = {
        FileProblemKind.missing_column: lambda: _(
            "The file lacks the column “%(column)s”.", column=column
        ),
        FileProblemKind.unknown_item: lambda: _(
            "Column “%(column)s” is not an item of this questionnaire.", column=column
        ),
        FileProblemKind.bad_value: lambda: _(
            "Row %(row)d, column %(column)s: “%(value)s” is not an answer "
            "(1–5, 9 or empty).",
            row=row,
            column=column,
            value=value,
        ),
        FileProblemKind.bad_weight: lambda: _(
            "Row %(row)d, column weight: “%(value)s” is not a positive number.",
            row=row,
            value=value,
        ),
        FileProblemKind.missing_stratum: lambda: _(
            "Row %(row)d, column stratum: the stratum is missing.", row=row
        ),
        FileProblemKind.missing_psu: lambda: _(
            "Row %(row)d, column psu: the PSU is missing.", row=row
        ),
        FileProblemKind.wrong_width: lambda: _(
            "Row %(row)d does not have as many fields as the header.", row=row
        ),
        FileProblemKind.empty: lambda: _("The file has no data rows."),
    }
    return messages[kind]()


def _calibration_spec(path: str) -> CalibrationSpec:
    """Read {"method": "poststratify" or "rake", "margins": [{columns, population}]}."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return CalibrationSpec(
            method=CalibrationMethod(raw["method"]),
            margins=tuple(
                MarginSpec(tuple(m["columns"]), dict(m["population"]))
                for m in raw["margins"]
            ),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        _fail(
            _(
                "%(file)s is not a calibration file: %(reason)s",
                file=path,
                reason=str(error),
            )
        )
        raise  # unreachable: _fail exits


def _domain_columns(by: str | None, calibration: CalibrationSpec | None) -> set[str]:
    """The columns besides the design's and the criteria the analysis reads: the
    ``--by`` column and the calibration margins' (an export's other columns are
    most of its bytes, and read for nothing)."""
    margins = calibration.margins if calibration is not None else ()
    wanted = {column for margin in margins for column in margin.columns}
    return wanted | ({by} if by is not None else set())


def _adjust_weights(
    data: FlatData, unweighted: bool, upper: float | None, lower: float | None
) -> FlatData:
    """Weights of 1, or trimmed weights, as asked."""
    if unweighted:
        return replace(data, weights=np.ones(data.n_rows))
    if upper is None and lower is None:
        return data
    trimmed = trim_weights(
        data.weights,
        upper=np.inf if upper is None else upper,
        lower=-np.inf if lower is None else lower,
    )
    return replace(data, weights=trimmed)


def _names_no_file(code_or_path: str) -> bool:
    """True when ``code_or_path`` is neither a file nor a questionnaire found by
    its code (resolve_questionnaire failed on a file that is not there)."""
    return not Path(code_or_path).exists()


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("stats", cls=StoppableCommand)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--questionnaire",
    "questionnaire_ref",
    required=True,
    help=N_(
        "Questionnaire code or YAML path (under `flask sipas`, also the "
        "questionnaires stored in the database)."
    ),
)
@click.option(
    "--ci",
    "ci_method",
    default="logit",
    type=click.Choice([m.value for m in CiMethod]),
    show_default=True,
    help=N_("How the criteria's intervals are made (as R's svyciprop)."),
)
@click.option(
    "--level",
    default=0.95,
    type=click.FloatRange(0.5, 0.999),
    show_default=True,
    help=N_("Confidence level of the intervals."),
)
@click.option(
    "--lonely-psu",
    default="adjust",
    type=click.Choice([m.value for m in LonelyPsu]),
    show_default=True,
    help=N_(
        "What a stratum with one PSU adds to the variance (R's survey.lonely.psu)."
    ),
)
@click.option("--by", default=None, help=N_("Column whose values are domains."))
@click.option("--unweighted", is_flag=True, help=N_("Give every row weight 1."))
@click.option(
    "--trim-upper",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help=N_("Cap weights here and share the excess (R's trimWeights)."),
)
@click.option(
    "--trim-lower",
    type=click.FloatRange(min=0),
    default=None,
    help=N_("Raise weights to at least this."),
)
@click.option(
    "--calibrate",
    "calibration_file",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help=N_("JSON of known population counts: post-stratify or rake the weights."),
)
@click.option(
    "--format",
    "output_format",
    default="json",
    type=click.Choice(["json", "table"]),
    show_default=True,
    help=N_("json: the document of DESIGN §5; table: a readable table."),
)
def stats_command(
    file: str,
    questionnaire_ref: str,
    ci_method: str,
    level: float,
    lonely_psu: str,
    by: str | None,
    unweighted: bool,
    trim_upper: float | None,
    trim_lower: float | None,
    calibration_file: str | None,
    output_format: str,
) -> None:
    """Weighted SIPAS indices with design-based intervals for a stats CSV."""
    try:
        questionnaire = resolve_questionnaire(questionnaire_ref)
    except QuestionnaireError as error:
        if _names_no_file(questionnaire_ref):
            _fail(
                _(
                    "No questionnaire has the code “%(code)s” (looked for in "
                    "%(folder)s), and there is no file by that name.",
                    code=questionnaire_ref,
                    folder=setting("QUESTIONNAIRE_DIR") or SHIPPED_QUESTIONNAIRES,
                )
            )
        _fail(str(error))
    criteria = [item.code for item in questionnaire.criteria]
    calibration = _calibration_spec(calibration_file) if calibration_file else None
    try:
        item_codes = [item.code for item in questionnaire.items]
        data = read_flat_file(
            file, criteria, item_codes, _domain_columns(by, calibration)
        )
    except OSError as error:
        _fail(
            _(
                "Cannot read %(file)s: %(reason)s",
                file=file,
                reason=why(error, reading=True),
            )
        )
    except UnicodeDecodeError:
        _fail(_("%(file)s is not a UTF-8 text file.", file=file))
    except FlatFileError as error:
        lines = [problem_text(problem) for problem in error.problems]
        if len(error.problems) >= MAX_ERRORS:
            lines.append(
                _(
                    "Only the first %(n)d problems are listed; the file may have more.",
                    n=MAX_ERRORS,
                )
            )
        _fail("\n".join(lines))
    if by is not None and by not in data.others:
        _fail(_("The file has no column “%(column)s” to group by.", column=by))
    data = _adjust_weights(data, unweighted, trim_upper, trim_lower)
    if ci_method in (CiMethod.wilson, CiMethod.clopper_pearson) and not unweighted:
        _fail(
            _(
                "Wilson and Clopper–Pearson intervals are for unweighted data: "
                "add --unweighted."
            )
        )
    options = Options(CiMethod(ci_method), level, LonelyPsu(lonely_psu))
    try:
        analysis = analyse(
            data,
            criteria,
            factor_structure(questionnaire),
            options,
            by,
            calibration,
            index_structure(questionnaire),
        )
    except CalibrationError as error:
        _fail(_("The weights cannot be calibrated: %(reason)s", reason=str(error)))
    except LonelyPsuError as error:
        _fail(
            _(
                "Stratum “%(stratum)s” has only one PSU; "
                "choose another --lonely-psu rule.",
                stratum=error.stratum,
            )
        )
    if output_format == "json":
        document = analysis_json(analysis, questionnaire.code)
        click.echo(json.dumps(document, ensure_ascii=False, indent=1))
    else:
        click.echo(render_table(analysis, questionnaire))


def main() -> None:
    """`sipas-stats`: the statistics command without the web application."""
    speak_the_language(stats_command)
    try:
        stats_command(prog_name="sipas-stats")  # leaves by SystemExit
    finally:
        # the process ends here: the collections Python runs while it shuts down
        # would walk every object left (20 ms of a 0.6 s run on a million rows)
        # to find no cycle worth freeing
        gc.freeze()
