"""The dashboard: figures, drill-down into queue views, snapshots at two sizes."""

from __future__ import annotations

import pytest

from support import queue_screen
from tuidesk.services import Services
from tuidesk.ui.app import TuideskApp
from tuidesk.ui.screens.dashboard import DashboardScreen

SIZES = [(80, 24), (120, 40)]


async def test_dashboard_shows_figures_and_drills_down(app: TuideskApp,
                                                       demo_services: Services) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("D")
        assert isinstance(app.screen, DashboardScreen)
        report = app.screen.report
        figures = str(app.screen.query_one("#dash-figures").render())
        month = [w for w in report.windows if w.label == "30 days"][0]
        assert f"{month.answered:>8,}" in figures
        assert f"negative {report.sentiment['negative']:,}" in figures
        people = str(app.screen.query_one("#dash-people").render())
        assert "sam" in people and "kim" in people
        await pilot.press("down", "down", "down", "enter")  # Escalated
        assert queue_screen(app).view == "escalated"
        assert queue_screen(app).window.total == report.views["escalated"]
        await pilot.press("D", "up", "enter")  # Oldest waiting
        oldest = report.oldest_waiting["conversation"]
        assert queue_screen(app).selected.id == oldest
        await pilot.press("D", "escape")
        assert not isinstance(app.screen, DashboardScreen)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_dashboard(snap_compare, app: TuideskApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, press=["D"], terminal_size=size)
