"""Synthetic survey files with everything that makes design-based estimation hard."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

CRITERIA = "A1 A2 A3 A4 B1 B2 B3 B4 B5 C1 C2 C3 C4 C5 C6 D1 D2 D3 E1 E2 E3 E4".split()


def write_survey_csv(
    path: Path,
    seed: int = 20261123,
    rows_per_psu: int = 12,
    unanswered_share: float = 0.0,
) -> Path:
    """Strata with 1–5 PSUs (one lonely), unequal weights, a near-ceiling criterion
    (C1), factor E answered by ~15 %, some blanks and 9s, and a `group` column;
    with ``unanswered_share``, that share of the calibration answers (sex, age) is
    left empty."""
    rng = np.random.default_rng(seed)
    # a separate stream for the calibration columns keeps the other columns unchanged
    people = np.random.default_rng(seed + 1)
    skips = np.random.default_rng(seed + 2)
    strata_sizes = {"S1": 4, "S2": 3, "S3": 5, "S4": 1, "S5": 2, "S6": 3}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "response_id",
                "stratum",
                "psu",
                "weight",
                *CRITERIA,
                "group",
                "sex",
                "age",
            ]
        )
        row_id = 0
        for stratum, n_psus in strata_sizes.items():
            for psu in range(1, n_psus + 1):
                psu_effect = rng.normal(0, 0.6)
                base_weight = rng.uniform(5, 60)
                for _ in range(int(rows_per_psu + rng.integers(-4, 5))):
                    row_id += 1
                    writer.writerow(
                        [
                            f"r{row_id}",
                            stratum,
                            f"P{psu}",
                            round(base_weight * rng.uniform(0.5, 2.0), 3),
                        ]
                        + _answers(rng, psu_effect)
                        + [rng.choice(["web", "kiosk", "paper"], p=[0.5, 0.3, 0.2])]
                        + _unless_skipped(
                            skips,
                            unanswered_share,
                            [
                                people.choice(["male", "female"]),
                                people.choice(
                                    ["young", "middle", "old"], p=[0.3, 0.45, 0.25]
                                ),
                            ],
                        )
                    )
    return path


def _unless_skipped(
    rng: np.random.Generator, share: float, values: list[str]
) -> list[str]:
    """Each value, or "" (not answered) with probability ``share``."""
    if share <= 0:
        return values
    return ["" if rng.random() < share else value for value in values]


def _weight(rng: np.random.Generator, base: float) -> float:
    return round(base * rng.uniform(0.5, 2.0), 3)


def _answers(rng: np.random.Generator, psu_effect: float) -> list[str]:
    gave_feedback = rng.random() < 0.15
    values = []
    for code in CRITERIA:
        if code.startswith("E") and not gave_feedback:
            values.append("")
            continue
        if rng.random() < 0.04:
            values.append(rng.choice(["", "9"]))
            continue
        level = 3.6 + psu_effect + (1.5 if code == "C1" else 0) + rng.normal(0, 1.0)
        values.append(str(int(np.clip(round(level), 1, 5))))
    return values


#: Known population counts for calibration tests (rounded census-like figures).
POSTSTRATIFY_SPEC = {
    "method": "poststratify",
    "margins": [
        {
            "columns": ["sex", "age"],
            "population": {
                "female|middle": 1500,
                "female|old": 900,
                "female|young": 1100,
                "male|middle": 1400,
                "male|old": 800,
                "male|young": 1200,
            },
        }
    ],
}
RAKE_SPEC = {
    "method": "rake",
    "margins": [
        {"columns": ["sex"], "population": {"female": 3500, "male": 3400}},
        {
            "columns": ["age"],
            "population": {"middle": 2900, "old": 1700, "young": 2300},
        },
    ],
}


def sums_field(sums, name: str):
    """A field of CriterionSums by name, the weighted sums made from the counts
    where each PSU is one response (they are not kept then)."""
    if name in ("satisfied_weight", "answered_weight"):
        satisfied, answered = sums.weighted_sums()
        return satisfied if name == "satisfied_weight" else answered
    return getattr(sums, name)
