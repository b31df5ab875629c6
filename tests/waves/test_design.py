"""The design choices in words and the technical settings they stand for."""

from __future__ import annotations

import pytest

from sipas.models import UnitLevel, Weighting
from sipas.services.waves.design import (
    DesignChoice,
    DesignSettings,
    choice_of,
    design_settings,
)

C, P, K = UnitLevel.centre, UnitLevel.province, UnitLevel.commune
BY_POPULATION = Weighting.unit_population


@pytest.mark.parametrize(
    ("choice", "level", "expected"),
    [
        # the units taking part are the strata, whatever their level
        (DesignChoice.by_unit, C, DesignSettings(C, None, BY_POPULATION)),
        (DesignChoice.by_unit, K, DesignSettings(K, None, BY_POPULATION)),
        # centres are clustered by their commune, communes are their own clusters
        (DesignChoice.two_stage, C, DesignSettings(P, K, BY_POPULATION)),
        (DesignChoice.two_stage, K, DesignSettings(P, K, BY_POPULATION)),
        # a national round of provinces: no stratum above them
        (DesignChoice.two_stage, P, DesignSettings(None, P, BY_POPULATION)),
        (DesignChoice.convenience, C, DesignSettings(None, None, Weighting.none)),
    ],
)
def test_each_choice_sets_strata_psus_and_weighting(choice, level, expected):
    assert design_settings(choice, level) == expected
    assert choice_of(expected, level) is choice


def test_other_settings_are_another_design():
    expert = DesignSettings(P, C, BY_POPULATION)  # the demo round's
    assert choice_of(expert, C) is DesignChoice.custom
    assert choice_of(DesignSettings(C, None, BY_POPULATION), None) is (
        DesignChoice.custom
    )
    with pytest.raises(ValueError, match="custom"):
        design_settings(DesignChoice.custom, C)
