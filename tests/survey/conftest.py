"""Fixtures of the citizen-facing questionnaire tests."""

from __future__ import annotations

import pytest

from sipas.services.questionnaires import parsed
from tests.factories import demo_target


@pytest.fixture
def questionnaire(demo_app):
    """The parsed questionnaire of the demo unit's open wave."""
    wave, _unit = demo_target()
    return parsed(wave.questionnaire)
