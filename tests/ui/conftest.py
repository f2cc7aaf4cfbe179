"""UI fixtures: the app over deterministic demo data, and helpers to read the screen."""

from __future__ import annotations

import pytest

from tuidesk.cli import make_app
from tuidesk.services import Services
from tuidesk.ui.app import TuideskApp


@pytest.fixture
def app(demo_services: Services) -> TuideskApp:
    return make_app(demo_services)


