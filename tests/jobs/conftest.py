"""What the job tests share."""

from __future__ import annotations

import pytest

from sipas.models import Role


@pytest.fixture
def demo_admin(demo_app, login_as):
    """A client of the demo app logged in as a new administrator, and that user."""
    client = demo_app.test_client()
    return client, login_as(client, Role.admin)
