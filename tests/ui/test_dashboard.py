"""The dashboard: figures, drill-down into queue views, snapshots at two sizes."""

from __future__ import annotations

import pytest

from support import queue_screen
from tuidesk.services import Services
from tuidesk.ui.app import TuideskApp
from tuidesk.ui.screens.dashboard import DashboardScreen

SIZES = [(80, 24), (120, 40)]


async def open_dashboard(pilot) -> DashboardScreen:  # type: ignore[no-untyped-def]
    """Press D and wait until the figures, read in a thread, are on the screen and their
    list has the focus (Enter picks from it)."""
    from textual.widgets import OptionList

    await pilot.press("D")
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen)
    for _ in range(200):
        if screen.filled and isinstance(pilot.app.focused, OptionList):
            return screen
        await pilot.pause(0.02)
    raise AssertionError("the dashboard never filled in")


def pick(app: TuideskApp, target: object) -> None:
    from textual.widgets import OptionList

    app.screen.query_one(OptionList).highlighted = app.screen.targets.index(target)


async def test_dashboard_shows_figures_and_drills_down(app: TuideskApp,
                                                       demo_services: Services) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
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
        oldest = report.oldest_waiting.conversation
        await open_dashboard(pilot)
        pick(app, ("conversation", oldest))
        await pilot.press("enter")
        assert queue_screen(app).selected.id == oldest
        first_agent = [a for a in report.agents if a.open][0]
        await open_dashboard(pilot)
        pick(app, ("agent", first_agent.agent))
        await pilot.press("enter")  # an agent row: their open work
        assert queue_screen(app).window.total == first_agent.open
        assert all(queue_screen(app).window.get(i).assignee == first_agent.agent
                   for i in range(queue_screen(app).window.total))
        # A change reloads the list: it stays that agent's work (not a text search for
        # "assigned to ...").
        await pilot.press("n")
        await pilot.press(*"checked", "enter")
        await pilot.pause()
        assert queue_screen(app).window.total == first_agent.open
        assert all(queue_screen(app).window.get(i).assignee == first_agent.agent
                   for i in range(queue_screen(app).window.total))
        # Same for a single conversation opened from the dashboard.
        await open_dashboard(pilot)
        pick(app, ("conversation", oldest))
        await pilot.press("enter", "n", *"called", "enter")
        await pilot.pause()
        assert queue_screen(app).window.total == 1
        assert queue_screen(app).selected.id == oldest
        await open_dashboard(pilot)
        await pilot.press("escape")
        assert not isinstance(app.screen, DashboardScreen)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_dashboard(snap_compare, app: TuideskApp, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_dashboard(pilot)  # the figures are read in a thread: wait for them

    assert snap_compare(app, run_before=run_before, terminal_size=size)


async def test_dashboard_shows_at_once_and_never_holds_a_key(
        app: TuideskApp, demo_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The figures are read in a thread on a connection of their own: while they are being
    read (here held until the test lets go) the dashboard is up, says so, and keys work:
    Esc goes back, and the queue moves. At 1M messages `D` used to freeze the app 21 s."""
    import threading

    from textual.widgets import Label

    from tuidesk.ui.widgets.queue_list import QueueList

    release = threading.Event()
    real = type(demo_services).report_apart

    def slow(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert threading.current_thread() is not threading.main_thread()
        release.wait(10)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(demo_services), "report_apart", slow)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("D")
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.report is None
        assert "Reading the figures" in str(screen.query_one("#dash-wait", Label).render())
        await pilot.press("escape")  # answered while the figures are still being read
        queue = queue_screen(app)
        assert app.screen is queue
        await pilot.press("j", "j")
        assert queue.query_one(QueueList).cursor == 2
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is queue  # a late report lands on a closed dashboard harmlessly
