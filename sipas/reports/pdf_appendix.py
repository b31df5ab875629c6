"""Appendices of the PDF report: the method, and the questionnaire as asked."""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.platypus import Flowable, KeepTogether, PageBreak

from sipas.i18n import format_percent
from sipas.models import Wave, Weighting
from sipas.questionnaire import Item, ItemType, Questionnaire
from sipas.questionnaire.numbering import printed_code, question_numbers
from sipas.reports.pdf_sections import design_sentences, level_name
from sipas.reports.pdf_styles import count, markup, para
from sipas.reports.wave_results import WaveResults
from sipas.stats.intervals import CiMethod

CI_METHOD_NAMES = {
    CiMethod.logit: "logit-t",
    CiMethod.beta: "Korn–Graubard (beta)",
    CiMethod.wald: "Wald-t",
    CiMethod.wilson: "Wilson",
    CiMethod.clopper_pearson: "Clopper–Pearson",
}


def _paragraph(title: str, text: str) -> Flowable:
    return markup(f"<b>{escape(title)}.</b> {escape(text)}")


def method_appendix(results: WaveResults) -> list[Flowable]:
    """How the figures were computed: design, weights, variance, intervals,
    thresholds and the definitions of the indices."""
    wave, options, thresholds = results.wave, results.options, results.thresholds
    level = format_percent(options.level, 0)
    design = " ".join(design_sentences(wave))
    story: list[Flowable] = [
        PageBreak(),
        para(_("Appendix 1. Method"), "h1"),
        _paragraph(_("Sampling design"), design),
        _paragraph(_("Weights"), weights_text(wave)),
        _paragraph(
            _("Estimation"),
            _(
                "A criterion index is a ratio of weighted totals; its variance comes "
                "from Taylor linearisation over the primary sampling units within "
                "strata (with replacement at the first stage). Factor and overall "
                "indices are linear combinations of the criteria and get their "
                "variance from one combined linearisation variable, so answers given "
                "by the same people are not counted as independent. Units and groups "
                "are domains of the whole design, never separate samples."
            ),
        ),
        _paragraph(
            _("Intervals"),
            _(
                "%(level)s confidence intervals: %(criteria)s for criteria and shares, "
                "%(indices)s for factors and SIPAS, with %(df)s degrees of freedom "
                "(primary sampling units minus strata). Where an index is 0%% or 100%% "
                "or its variance is zero, the interval is Clopper–Pearson on the "
                "unweighted counts. Strata with a single primary sampling unit: "
                "rule “%(lonely)s”, as the R package survey does.",
                level=level,
                criteria=CI_METHOD_NAMES[options.ci_method],
                indices=CI_METHOD_NAMES[options.index_ci_method],
                df=count(results.indices.overall.estimate.df),
                lonely=options.lonely_psu.value,
            ),
        ),
        _paragraph(
            _("Small samples"),
            _(
                "An estimate from fewer than %(n)s responses, or with an effective "
                "sample size below %(effective)s, is marked with *.",
                n=thresholds.min_n,
                effective=count(thresholds.min_effective_n),
            ),
        ),
        _paragraph(
            _("Comparisons"),
            _(
                "Two units are compared by the difference of their SIPAS within the "
                "design; two survey rounds as independent samples. A difference is "
                "significant when its %(level)s interval excludes zero.",
                level=level,
            ),
        ),
        para(_("Definitions of the indices"), "h2"),
        *[para("• " + text, "item") for text in definitions()],
    ]
    if wave.strata_level is not None or wave.psu_level is not None:
        story.append(
            para(
                _(
                    "Strata: %(strata)s; primary sampling units: %(psus)s.",
                    strata=level_name(wave.strata_level) or "–",
                    psus=level_name(wave.psu_level) or "–",
                ),
                "note",
            )
        )
    return story


def weights_text(wave: Wave) -> str:
    """How the responses are weighted, in words."""
    if wave.weighting is Weighting.unit_population:
        return _(
            "Each response carries a design weight: the number of people the unit "
            "served in the survey period divided by the unit's valid responses, so "
            "every unit counts in proportion to the people it serves."
        )
    return _("Every response has the same weight.")


def definitions() -> list[str]:
    """The definitions of the indices (Ministry of Home Affairs scheme)."""
    return [
        _(
            "Criterion index: the share of respondents answering “satisfied” or "
            "“very satisfied” (4 or 5) among those who answered 1 to 5; “not "
            "applicable” and blanks are not answers."
        ),
        _("Factor index: the mean of the indices of its criteria (equal weights)."),
        _("SIPAS: the mean of the five factor indices (equal weights)."),
        _("Indices are shown as percentages with two decimals."),
    ]


def options_text(item: Item, language: str) -> str:
    """The answer options: with their stored codes where those are numbers
    ("1 – Rất không hài lòng"), else the labels alone."""
    if all(choice.code.isdigit() for choice in item.choices):
        parts = [f"{c.code} – {c.label.get_text(language)}" for c in item.choices]
    else:
        parts = [c.label.get_text(language) for c in item.choices]
    text = "; ".join(parts)
    if item.type is ItemType.multi_choice and item.max_choices:
        text += " " + _("(at most %(n)s choices)", n=item.max_choices)
    return text


def _condition(item: Item, questionnaire: Questionnaire, language: str) -> str:
    """ "Asked only when the answer to question 5 is: …" for a conditional item
    (questions named by their number, as on the paper form)."""
    condition = item.show_if
    assert condition is not None  # noqa: S101  (callers check)
    asked = questionnaire.item(condition.item)
    answers = [
        choice.label.get_text(language)
        for choice in asked.choices
        if choice.code in condition.values
    ]
    return _(
        "(Asked only when the answer to question %(number)s is: %(answers)s.)",
        number=question_numbers(questionnaire)[condition.item],
        answers=", ".join(answers or condition.values),
    )


def _item_heading(item: Item, number: int, language: str) -> str:
    """ "Câu 6. wording [A1]" as paragraph markup: the number names a question,
    as on the paper form; a criterion's code follows (the results name it)."""
    heading = (
        f"<b>{escape(_('Question %(number)s.', number=number))}</b> "
        f"{escape(item.label.get_text(language))}"
    )
    code = printed_code(item)
    return heading if code is None else f"{heading} [{escape(code)}]"


def _item_lines(
    item: Item, questionnaire: Questionnaire, language: str, *, with_options: bool
) -> list[Flowable]:
    number = question_numbers(questionnaire)[item.code]
    lines: list[Flowable] = [markup(_item_heading(item, number, language), "item")]
    if item.show_if is not None:
        lines.append(para(_condition(item, questionnaire, language), "choices"))
    if item.choices and with_options:
        lines.append(para(options_text(item, language), "choices"))
    elif item.type is ItemType.text:
        lines.append(para(_("(Free text.)"), "choices"))
    elif item.type is ItemType.number:
        lines.append(para(_("(A number.)"), "choices"))
    return lines


def _shared_options(items: tuple[Item, ...]) -> Item | None:
    """The first item when every item of a section answers on one list (a scale)."""
    lists = {item.choice_list for item in items}
    if len(items) >= 2 and len(lists) == 1 and None not in lists:
        return items[0]
    return None


def questionnaire_appendix(results: WaveResults) -> list[Flowable]:
    """The questionnaire's sections and questions with their answer options."""
    questionnaire, language = results.questionnaire, results.language
    story: list[Flowable] = [
        PageBreak(),
        para(_("Appendix 2. Questionnaire"), "h1"),
        para(
            _(
                "%(title)s (%(code)s, version %(version)s)",
                title=questionnaire.title.get_text(language),
                code=questionnaire.code,
                version=questionnaire.version,
            )
        ),
    ]
    for position, section in enumerate(questionnaire.sections, start=1):
        block: list[Flowable] = [
            para(f"{position}. {section.title.get_text(language)}", "h2")
        ]
        if section.description is not None:
            block.append(para(section.description.get_text(language), "note"))
        shared = _shared_options(section.items)
        if shared is not None:
            block.append(
                para(
                    _(
                        "Answer options of the questions below: %(options)s",
                        options=options_text(shared, language),
                    ),
                    "note",
                )
            )
        previous = None  # a run of questions on one list shows it once
        for k, item in enumerate(section.items):
            repeated = previous is not None and item.choice_list == previous
            previous = item.choice_list
            lines = _item_lines(
                item,
                questionnaire,
                language,
                with_options=shared is None and not repeated,
            )
            story.append(KeepTogether([*block, *lines] if k == 0 else lines))
    return story
