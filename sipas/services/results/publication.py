"""The published results of a round: the dashboard's results (no breakdowns, no
row-level data, no comment) with the four perception figures citizens care about."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sipas.models import Unit, Wave
from sipas.questionnaire import Questionnaire
from sipas.reports.published import PerceptionFigure, PublishedResults
from sipas.services.questionnaires import parsed
from sipas.services.results import sums
from sipas.services.results.dashboard import compute_results
from sipas.services.units.tree import subtree_ids
from sipas.stats.indices import Options


@dataclass(frozen=True)
class ProblemAnswers:
    """A question and the answers to it that point at a problem."""

    item: str
    answers: tuple[str, ...]

    @property
    def name(self) -> str:
        """The option name of the answers counted together."""
        return "+".join(self.answers)


#: The perception figures, in the order they are shown: harassment, unofficial
#: payments, results later than promised, more than two trips to the office.
PROBLEM_ANSWERS = (
    ProblemAnswers("harassment", ("yes",)),
    ProblemAnswers("unofficial_payment", ("yes",)),
    ProblemAnswers("on_time", ("late",)),
    ProblemAnswers("trips", ("3", "4plus")),
)


def published_results(wave: Wave, root: Unit | None) -> PublishedResults:
    """The round's results for the subtree under ``root`` as the public page and
    the poster show them (the caller checks that the round is published)."""
    if wave.published_at is None:
        raise ValueError(f"the results of {wave.code} are not published")
    results = compute_results(wave, root, group_items=())
    in_scope = subtree_ids(root.id) if root is not None else None
    return PublishedResults(
        results=results,
        perceptions=perception_figures(
            wave, in_scope, results.options, results.language
        ),
        published_at=wave.published_at,
    )


def perception_figures(
    wave: Wave, in_scope: Collection[int] | None, options: Options, language: str
) -> tuple[PerceptionFigure, ...]:
    """The share giving each of the PROBLEM_ANSWERS, with its interval (questions
    the round's questionnaire lacks are left out)."""
    questionnaire = parsed(wave.questionnaire)
    asked = [p for p in PROBLEM_ANSWERS if _asks(questionnaire, p)]
    if not asked:
        return ()
    shares = sums.wave_shares(
        wave,
        [p.item for p in asked],
        options,
        within=in_scope,
        combined={p.item: {p.name: p.answers} for p in asked},
    )
    figures = []
    for problem in asked:
        share = next(s for s in shares[problem.item] if s.option == problem.name)
        item = questionnaire.item(problem.item)
        labels = {c.code: c.label.get_text(language) for c in item.choices}
        figures.append(
            PerceptionFigure(
                code=problem.item,
                question=item.label.get_text(language),
                answers=tuple(labels[a] for a in problem.answers),
                share=share,
            )
        )
    return tuple(figures)


def _asks(questionnaire: Questionnaire, problem: ProblemAnswers) -> bool:
    """True when the questionnaire has the question with every counted answer."""
    try:
        item = questionnaire.item(problem.item)
    except KeyError:
        return False
    codes = {choice.code for choice in item.choices}
    return all(answer in codes for answer in problem.answers)
