"""The model behind synthetic responses: explicit parameters, documented, no results.

A respondent is satisfied with criterion *c* (answers 4 or 5) with probability

    σ(base[c] + centre[u] + centre_criterion[u, c] + round_change[u] + channel[k]
      + Σ group[g] + field[f] + trips[t] + late[c] + disposition)

where σ is the logistic function, every term is a log-odds shift, and
``disposition`` ~ N(0, ``disposition_sd``) is the respondent's own mood, shared by
all their answers (so answers of one person correlate, as in real forms). ``base``
is given as a share (the level of an average respondent at an average centre);
the other terms move it. The demo's published-looking figures (SIPAS, factors,
rankings) are what the real engine computes from the rows this model draws; the
tests check that they land where REFERENCE.md says published SIPAS lies.

Unknown centres (any unit the model does not name, e.g. in tests) get no effect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: A share of satisfied answers (0–1) or a log-odds shift, per code.
Levels = Mapping[str, float]


def _frozen(values: dict) -> Mapping:
    return MappingProxyType(values)


def logit(share: float) -> float:
    """The log-odds of a share."""
    return math.log(share / (1 - share))


@dataclass(frozen=True)
class ResponseModel:
    """Every parameter of the synthetic respondents (log-odds unless said)."""

    #: Satisfied share per criterion for an average respondent (last round's level).
    #: A3 (modern equipment), B5 (processing time) and E are the known weak spots.
    criterion_base: Levels = field(
        default_factory=lambda: _frozen(
            {
                "A1": 0.895, "A2": 0.89, "A3": 0.84, "A4": 0.88,
                "B1": 0.89, "B2": 0.885, "B3": 0.875, "B4": 0.89, "B5": 0.845,
                "C1": 0.89, "C2": 0.88, "C3": 0.87, "C4": 0.88, "C5": 0.86,
                "C6": 0.895,
                "D1": 0.885, "D2": 0.875, "D3": 0.88,
                "E1": 0.89, "E2": 0.88, "E3": 0.875, "E4": 0.855,
            }
        )
    )  # fmt: skip
    #: Criteria a respondent may mark "not applicable" (9), with its probability.
    not_applicable: Levels = field(
        default_factory=lambda: _frozen({"B4": 0.12, "A4": 0.03, "C5": 0.02})
    )
    #: Whole-centre effect, by unit code.
    centre: Levels = field(
        default_factory=lambda: _frozen(
            {
                "QN-TTHCC": 0.35,
                "QN-HALONG-TT": 0.1,
                "QN-CAMPHA-TT": -0.1,
                "QN-UONGBI-TT": 0.1,
                "QN-TIENYEN-TT": -0.55,
            }
        )
    )
    #: A centre's own weak or strong criteria: {unit code: {criterion: shift}}.
    centre_criterion: Mapping[str, Levels] = field(
        default_factory=lambda: _frozen(
            {
                "QN-CAMPHA-TT": {"B5": -0.7, "D2": -0.4},
                "QN-TIENYEN-TT": {"A2": -0.6, "A3": -0.8, "A4": -0.5},
                "QN-HALONG-TT": {"A1": -0.7, "C2": 0.3},
                "QN-UONGBI-TT": {"C1": -0.5, "C4": -0.4},
            }
        )
    )
    #: Change from last round to this one, for every centre ...
    round_change: float = 0.15
    #: ... for some criteria on top (new equipment; complete results slipped) ...
    criterion_round_change: Levels = field(
        default_factory=lambda: _frozen(
            {"A3": 0.2, "B5": 0.1, "C1": -0.2, "D2": -0.3, "E4": -0.05}
        )
    )
    #: ... and for some on top (a centre that acted on last year's results).
    centre_round_change: Levels = field(
        default_factory=lambda: _frozen({"QN-TIENYEN-TT": 0.3, "QN-CAMPHA-TT": -0.1})
    )
    #: How the response reached us.
    channel: Levels = field(
        default_factory=lambda: _frozen(
            {"web": -0.2, "kiosk": 0.1, "paper": 0.05, "interview": 0.3}
        )
    )
    #: Share of each channel, per centre kind (rural centres collect more on paper).
    channel_mix: Levels = field(
        default_factory=lambda: _frozen(
            {"web": 0.3, "kiosk": 0.4, "paper": 0.2, "interview": 0.1}
        )
    )
    rural_channel_mix: Levels = field(
        default_factory=lambda: _frozen(
            {"web": 0.12, "kiosk": 0.28, "paper": 0.4, "interview": 0.2}
        )
    )
    #: Centres whose respondents are rural (channel mix, ethnic minority share).
    rural_centres: frozenset[str] = frozenset({"QN-TIENYEN-TT"})
    #: Respondent groups: {question code: {answer code: shift}}.
    group: Mapping[str, Levels] = field(
        default_factory=lambda: _frozen(
            {
                "sex": {"male": -0.05, "female": 0.05},
                "age_group": {
                    "18_25": -0.25, "26_35": -0.1, "36_45": 0.0,
                    "46_60": 0.1, "over_60": 0.25,
                },
                "ethnicity": {"kinh": 0.0, "minority": -0.25},
                "education": {
                    "primary": 0.25, "lower_secondary": 0.1, "upper_secondary": 0.0,
                    "vocational": -0.1, "university": -0.25,
                },
                "occupation": {
                    "business": -0.25, "farmer": 0.15, "retired": 0.2,
                    "civil_servant": 0.1,
                },
            }
        )
    )  # fmt: skip
    #: How often each answer to the questions about the respondent is given.
    group_mix: Mapping[str, Levels] = field(
        default_factory=lambda: _frozen(
            {
                "sex": {"male": 0.52, "female": 0.47, "other": 0.01},
                "age_group": {
                    "18_25": 0.12, "26_35": 0.28, "36_45": 0.27,
                    "46_60": 0.23, "over_60": 0.10,
                },
                "ethnicity": {"kinh": 0.93, "minority": 0.07},
                "education": {
                    "primary": 0.08, "lower_secondary": 0.2, "upper_secondary": 0.3,
                    "vocational": 0.17, "university": 0.25,
                },
                "occupation": {
                    "civil_servant": 0.1, "business": 0.2, "employee": 0.25,
                    "farmer": 0.17, "student": 0.05, "retired": 0.13, "other": 0.1,
                },
            }
        )
    )  # fmt: skip
    #: Share of ethnic minority respondents at rural centres.
    rural_minority_share: float = 0.35
    #: Share of respondents leaving each question about themselves blank.
    group_blank: float = 0.05
    #: The field of the procedure: share, and shift (land is the usual sore point).
    field_mix: Levels = field(
        default_factory=lambda: _frozen(
            {
                "land": 0.22, "construction": 0.07, "justice_civil_status": 0.2,
                "business_registration": 0.09, "labour_social": 0.08,
                "transport": 0.06, "natural_resources": 0.04, "education": 0.03,
                "health": 0.03, "residence": 0.1, "agriculture": 0.03, "other": 0.05,
            }
        )
    )  # fmt: skip
    field_effect: Levels = field(
        default_factory=lambda: _frozen(
            {"land": -0.35, "construction": -0.2, "justice_civil_status": 0.15,
             "residence": 0.1, "natural_resources": -0.15}
        )
    )  # fmt: skip
    submission_mix: Levels = field(
        default_factory=lambda: _frozen(
            {"in_person": 0.74, "online": 0.21, "postal": 0.05}
        )
    )
    #: Trips to the office: share of each answer, and the shift per answer.
    trips_mix: Levels = field(
        default_factory=lambda: _frozen(
            {"1": 0.63, "2": 0.26, "3": 0.08, "4plus": 0.03}
        )
    )
    trips_effect: Levels = field(
        default_factory=lambda: _frozen({"1": 0.1, "2": -0.1, "3": -0.5, "4plus": -0.9})
    )
    #: Result against the promised date, and what a late result does to the
    #: criteria on time and results.
    timeliness_mix: Levels = field(
        default_factory=lambda: _frozen(
            {"early": 0.14, "on_time": 0.76, "late": 0.06, "not_received": 0.04}
        )
    )
    late_effect: Levels = field(
        default_factory=lambda: _frozen(
            {"B5": -1.8, "D1": -0.6, "D2": -0.6, "D3": -0.6, "C6": -0.4}
        )
    )
    #: Late results with a written apology.
    apology_share: float = 0.4
    #: Spread of the respondent's own mood (log-odds).
    disposition_sd: float = 1.1
    #: Share of respondents who gave feedback (the filter before factor E); a
    #: respondent who gave feedback was, on average, less satisfied (log-odds per
    #: unit of mood below 0).
    feedback_share: float = 0.11
    feedback_mood: float = 0.25
    #: Perception questions: share answering "yes" for an average respondent, and
    #: how much a bad mood and each centre move it (log-odds).
    perception_base: Levels = field(
        default_factory=lambda: _frozen(
            {"harassment": 0.022, "unofficial_payment": 0.018}
        )
    )
    perception_mood: float = 0.8
    perception_centre: Levels = field(
        default_factory=lambda: _frozen({"QN-TIENYEN-TT": 0.6, "QN-TTHCC": -0.4})
    )
    #: Among the satisfied, the share answering 5 (else 4); each respondent draws
    #: their own from a Beta(a, b), so some answer "4" to everything.
    very_satisfied_beta: tuple[float, float] = (1.2, 2.0)
    #: Among the dissatisfied, how the 1–3 answers split.
    dissatisfied_mix: tuple[float, float, float] = (0.07, 0.21, 0.72)
    #: Expectations (up to 3): how often each is chosen.
    expectation_weights: Levels = field(
        default_factory=lambda: _frozen(
            {
                "shorter_time": 0.45, "simpler_procedures": 0.4,
                "online_services": 0.33, "better_officials": 0.2,
                "information": 0.2, "facilities": 0.15, "lower_fees": 0.14,
            }
        )
    )  # fmt: skip
    #: Share leaving a comment.
    comment_share: float = 0.04
    #: Careless respondents: one answer to every criterion, far too fast (the
    #: quality rules exclude them); and respondents who are merely quick.
    careless_share: float = 0.015
    quick_share: float = 0.02

    def centre_shift(self, unit_code: str, current_round: bool) -> float:
        """The centre's whole shift in a round (log-odds)."""
        shift = self.centre.get(unit_code, 0.0)
        if current_round:
            shift += self.round_change + self.centre_round_change.get(unit_code, 0.0)
        return shift


#: The demo's model.
DEFAULT_MODEL = ResponseModel()
