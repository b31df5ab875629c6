"""Fixtures of the response tests: the demo wave and its questionnaire."""

from __future__ import annotations

import pytest

from sipas.services.questionnaires import parsed
from tests.factories import demo_target


@pytest.fixture
def wave(demo_app):
    return demo_target()[0]


@pytest.fixture
def questionnaire(wave):
    return parsed(wave.questionnaire)
