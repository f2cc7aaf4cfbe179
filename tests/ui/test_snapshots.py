"""SVG snapshots of the main screens at 80x24 and 120x40 (update: pytest --snapshot-update)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tuidesk.services import Services
from tuidesk.ui.app import TuideskApp

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_queue(snap_compare, app: TuideskApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_detail(snap_compare, app: TuideskApp, size: tuple[int, int]) -> None:
    # The third conversation in the inbox has a thread and customer history.
    assert snap_compare(app, press=["j", "j", "enter"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_composer(snap_compare, app: TuideskApp, demo_services: Services,
                           size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("r")
        await pilot.press("ctrl+r")
        await pilot.press(*"apol", "enter")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_escalate(snap_compare, app: TuideskApp, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("e")
        await pilot.press("down", "down", "tab")
        pilot.app.screen.query_one(Input).value = "Router swapped twice, needs a visit"
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_help(snap_compare, app: TuideskApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, press=["question_mark"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_marks(snap_compare, app: TuideskApp, size: tuple[int, int]) -> None:
    """Three marked rows (`*` and their own background) and the count on the top line."""
    assert snap_compare(app, press=["v", "j", "v", "v"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_command_line(snap_compare, app: TuideskApp, size: tuple[int, int]) -> None:
    """The `:` line with a completion suggested after the cursor and an error above."""
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("colon", *"frob", "enter")  # an unknown command: says so
        line = pilot.app.screen.query_one("#command", Input)
        line.value = ""
        await pilot.press(*"esc")
        await pilot.pause(0.2)

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_saved_view(snap_compare, demo_services: Services,
                             size: tuple[int, int]) -> None:
    """A saved view as a tab after the built-in ones, open, with its count."""
    from dataclasses import replace

    from tuidesk.cli import make_app
    from tuidesk.models.views import ViewFilter

    views = (ViewFilter("billing", "Billing", tags=("billing",)),
             ViewFilter("urgent", "Urgent", priorities=(1, 2), overdue=True))
    demo_services.inbox.saved_views = {v.name: v for v in views}
    demo_services.settings = replace(demo_services.settings, views=views)
    assert snap_compare(make_app(demo_services), press=["9"], terminal_size=size)
