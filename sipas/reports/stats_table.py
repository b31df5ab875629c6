"""A readable text table of the indices, in the user's language and number format."""

from __future__ import annotations

from sipas.config import setting
from sipas.language import current_language, format_number, format_percent
from sipas.language import gettext as _
from sipas.questionnaire import Questionnaire
from sipas.stats.analysis import Analysis
from sipas.stats.estimate import is_small_sample
from sipas.stats.indices import IndexResult, Indices, NodeResult

LABEL_WIDTH = 44
#: Room for a code: a criterion's, a factor's or a tree node's ("services").
CODE_WIDTH = 10


def _clip(text: str, width: int = LABEL_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_small(result: IndexResult | NodeResult) -> bool:
    """Below the publishing thresholds set in the configuration."""
    return is_small_sample(
        result.estimate, setting("STATS_MIN_N"), setting("STATS_MIN_EFFECTIVE_N")
    )


def _row(code: str, label: str, result: IndexResult | NodeResult) -> str:
    estimate, interval = result.estimate, result.interval
    ci = f"[{format_percent(interval.lower)}; {format_percent(interval.upper)}]"
    deff = format_number(estimate.deff, 2) if estimate.deff is not None else "–"
    code = _clip(code, CODE_WIDTH - 1)
    return (
        f"{code:<{CODE_WIDTH}}{_clip(label):<{LABEL_WIDTH}} "
        f"{format_number(estimate.n):>7} "
        f"{format_percent(estimate.value):>8} {ci:>20} "
        f"{format_percent(estimate.se):>7} {deff:>6}"
        f"{' *' if _is_small(result) else ''}"
    )


def _block(indices: Indices, questionnaire: Questionnaire, language: str) -> list[str]:
    lines = [_row("SIPAS", _("Overall index"), indices.overall)]
    lines += _domain_rows(indices, questionnaire, language)
    for factor, result in zip(questionnaire.factors, indices.factors, strict=True):
        lines.append(_row(factor.code, factor.name.get_text(language), result))
        for criterion in indices.criteria:
            if criterion.factor == factor.code:
                label = questionnaire.item(criterion.code).label.get_text(language)
                lines.append(_row("  " + criterion.code, label, criterion))
    return lines


def _domain_rows(
    indices: Indices, questionnaire: Questionnaire, language: str
) -> list[str]:
    """The nodes of a declared tree made of nodes (domains), under SIPAS."""
    if indices.tree is None or not questionnaire.indices:
        return []
    results = {node.code: node for node in indices.tree.walk()}
    return [
        _row(node.code, node.label.get_text(language), results[node.code])
        for node in questionnaire.index_tree.walk()
        if node.children and node is not questionnaire.index_tree
    ]


def render_table(analysis: Analysis, questionnaire: Questionnaire) -> str:
    """The whole sample, then each domain, as aligned text."""
    language = current_language()
    options = analysis.options
    level = format_percent(options.level, 0)
    header = _(
        "%(rows)s responses · %(strata)s strata · %(psus)s PSUs · %(df)s degrees of "
        "freedom · %(level)s intervals (%(method)s) · lonely PSU: %(lonely)s",
        rows=format_number(analysis.n_rows),
        strata=format_number(analysis.design.n_strata),
        psus=format_number(analysis.design.n_psus),
        df=format_number(analysis.df),
        level=level,
        method=str(options.ci_method),
        lonely=str(options.lonely_psu),
    )
    # gettext outside the f-string: the message extractor does not look inside one
    code, index, value, interval = _("Code"), _("Index"), _("Value"), _("Interval")
    columns = (
        f"{code:<{CODE_WIDTH}}{index:<{LABEL_WIDTH}} {'n':>7} {value:>8} "
        f"{interval:>20} {'SE':>7} {'deff':>6}"
    )
    lines = [questionnaire.title.get_text(language), header, "", columns]
    lines += _block(analysis.overall, questionnaire, language)
    for group in analysis.groups:
        lines += ["", f"{group.column} = {group.value}", columns]
        lines += _block(group.indices, questionnaire, language)
    if any(line.endswith(" *") for line in lines):
        lines += [
            "",
            _(
                "* Too few responses to publish: n below %(n)d or effective n below "
                "%(n_eff)s.",
                n=setting("STATS_MIN_N"),
                n_eff=format_number(setting("STATS_MIN_EFFECTIVE_N")),
            ),
        ]
    return "\n".join(lines)
