"""The app syncs in a background worker, shows sync and outbox state, retries and edits."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea

from fakes import FakeConnector, mention
from support import queue_screen, settle
from tuidesk.cli import make_app
from tuidesk.config import Settings
from tuidesk.errors import RemoteError, TransientError
from tuidesk.models import FetchResult
from tuidesk.services import open_services
from tuidesk.services.clock import FixedClock
from tuidesk.ui.screens.composer import ReplyComposerModal
from tuidesk.ui.widgets.conversation_detail import ConversationDetail

SIZE = (120, 30)


def bar(app) -> str:  # type: ignore[no-untyped-def]
    return str(queue_screen(app).query_one("#view-bar").render())


def detail(app) -> str:  # type: ignore[no-untyped-def]
    return str(queue_screen(app).query_one(ConversationDetail).body.render())


def app_with_one_mention(tmp_path: Path, clock: FixedClock) -> tuple[FakeConnector, object]:
    """An app whose fake network has one mention waiting."""
    fake = FakeConnector()
    fake.pages = [FetchResult([mention(1, at=clock() - 600)], "c1")]
    services = open_services(tmp_path / "s.db", Settings(agent="tester"), clock,
                             connectors=[fake])
    return fake, make_app(services)


async def test_background_sync_fills_the_queue_and_delivers(tmp_path: Path,
                                                            clock: FixedClock) -> None:
    fake, app = app_with_one_mention(tmp_path, clock)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = queue_screen(app)
        assert screen.window.total == 1
        assert "⟳ acme" in bar(app)
        fake.fail_post = [RemoteError("POST /api/v1/statuses: 422 Text too long")]
        await pilot.press("r", *"hi", "ctrl+s")
        await pilot.press("S")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("7")
        await settle(pilot)
        assert "✗ failed" in detail(app) and "422 Text too long" in detail(app)
        assert "✗ 1 refused" in bar(app)
        await pilot.press("R")  # retry as is: the fake accepts it now
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "✓ sent" in detail(app)
        assert len(fake.posted) == 1


async def test_edit_a_refused_reply(tmp_path: Path, clock: FixedClock) -> None:
    fake, app = app_with_one_mention(tmp_path, clock)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        fake.fail_post = [RemoteError("422 Text too long")]
        await pilot.press("r", *"hello", "ctrl+s", "S")
        await app.workers.wait_for_complete()
        await pilot.press("7", "r")
        assert isinstance(app.screen, ReplyComposerModal)
        assert app.screen.query_one(TextArea).text == "hello"


async def test_sync_errors_are_shown_not_raised(tmp_path: Path, clock: FixedClock) -> None:
    fake = FakeConnector()
    fake.fail_fetch = TransientError("GET /api/v1/notifications: timed out")
    services = open_services(tmp_path / "s.db", Settings(agent="tester"), clock,
                             connectors=[fake])
    app = make_app(services)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        assert "timed out" in bar(app)
        assert any("timed out" in n.message for n in app._notifications)


async def test_sync_without_accounts_says_so(demo_services) -> None:  # type: ignore[no-untyped-def]
    app = make_app(demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")
        await pilot.pause()
        assert any("No accounts configured" in n.message for n in app._notifications)
        assert "offline" in bar(app)
