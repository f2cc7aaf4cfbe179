"""A bug ends the app with one line and exit code 4, never a traceback with locals;
a TuideskError anywhere in a screen is a toast and the app keeps running."""

from __future__ import annotations

import pytest

from tuidesk.cli import make_app
from tuidesk.errors import StoreError
from tuidesk.paths import state_dir
from tuidesk.services import Services
from tuidesk.ui.screens.queue import QueueScreen


async def test_bug_exits_4_and_logs_no_locals(demo_services: Services,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    def broken(self: QueueScreen) -> None:
        headers = {"Authorization": "Bearer SECRET-in-a-local"}  # noqa: F841
        raise RuntimeError("boom")

    monkeypatch.setattr(QueueScreen, "action_claim", broken)
    app = make_app(demo_services)
    with pytest.raises(RuntimeError):
        async with app.run_test() as pilot:
            await pilot.pause()
            await pilot.press("c")
            await pilot.pause()
    assert app.return_code == 4
    shown = capsys.readouterr()
    assert "tuidesk crashed: RuntimeError: boom" in shown.err
    log = state_dir() / "crash.log"
    text = log.read_text()
    assert "RuntimeError: boom" in text and "in broken" in text  # the stack is kept
    assert "SECRET-in-a-local" not in text + shown.err + shown.out  # its locals are not
    assert log.stat().st_mode & 0o077 == 0


async def test_store_error_in_an_action_is_a_toast(demo_services: Services,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def full(self: QueueScreen) -> None:
        raise StoreError("The disk is full.", "Disk full")

    monkeypatch.setattr(QueueScreen, "action_claim", full)
    app = make_app(demo_services)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert app.is_running
        assert any("The disk is full." in n.message for n in app._notifications)
        await pilot.press("j")  # the screen still answers keys
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
