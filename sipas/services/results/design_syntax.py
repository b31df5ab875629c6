"""The few lines that declare an exported file's survey design in R (``survey``'s
``svydesign``) and in Stata (``svyset``): strata, PSUs and weights are the
``stratum``, ``psu`` and ``weight`` columns of the stats CSV and the Parquet file
(DESIGN §5). The platform's default for a stratum with one PSU is R's "adjust"."""

from __future__ import annotations

#: Languages the lines are written for, and the file formats each can read.
READABLE = {"r": ("csv", "parquet"), "stata": ("csv",)}


def design_syntax(language: str, fmt: str, path: str) -> str:
    """Lines that read ``path`` (a ``fmt`` export) and declare its design in
    ``language`` (r or stata); ValueError for a format that language cannot read."""
    if fmt not in READABLE.get(language, ()):
        raise ValueError(fmt)
    quoted = path.replace("\\", "/").replace('"', '\\"')
    if language == "stata":
        return "\n".join(
            [
                f'import delimited using "{quoted}", encoding("utf-8") '
                "varnames(1) stringcols(1 2 3) clear",
                "egen long sipas_stratum = group(stratum)",
                "egen long sipas_psu = group(stratum psu)",
                "svyset sipas_psu [pweight=weight], strata(sipas_stratum) "
                "singleunit(centered)",
            ]
        )
    if fmt == "parquet":
        read = f'data <- as.data.frame(arrow::read_parquet("{quoted}"))'
    else:
        read = (
            f'data <- read.csv("{quoted}", fileEncoding = "UTF-8-BOM", '
            "check.names = FALSE,\n                 colClasses = c(response_id = "
            '"character", stratum = "character", psu = "character"))'
        )
    return "\n".join(
        [
            "library(survey)",
            'options(survey.lonely.psu = "adjust")',
            read,
            "design <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight,",
            "                    data = data, nest = TRUE)",
        ]
    )
