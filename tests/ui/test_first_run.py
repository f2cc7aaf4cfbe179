"""A new, empty database opens on a first-run screen that says what to do next, and which
closes by itself when conversations arrive."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import NOW, screen_text, shared_file
from tuidesk.cli import make_app
from tuidesk.config import Settings
from tuidesk.services import Services, open_services
from tuidesk.services.clock import FixedClock
from tuidesk.ui.screens.queue import QueueScreen
from tuidesk.ui.screens.welcome import WelcomeModal


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.chdir(tmp_path)  # the screen shows the path as given: keep it the same
    svc = open_services("new.db", Settings(agent="tester"), FixedClock(NOW))
    yield svc
    svc.close()


def test_snapshot_first_run_at_80x24(snap_compare, empty: Services) -> None:
    assert snap_compare(make_app(empty), terminal_size=(80, 24))


async def test_first_run_says_what_to_do_and_closes_when_data_arrives(
        empty: Services, tmp_path: Path) -> None:
    app = make_app(empty)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeModal)
        text = screen_text(app)
        for words in ("no conversations yet", "new.db", "tuidesk import FILE",
                      "tuidesk account add", "tuidesk demo"):
            assert words in text
        # Another terminal imports an archive: the desk is set up, the queue shows.
        other = open_services(str(tmp_path / "new.db"), Settings(agent="other"))
        other.ingest.import_file(str(shared_file("twcs_kaggle_sample93.csv")))
        other.close()
        for _ in range(40):
            await pilot.pause(0.1)
            if isinstance(app.screen, QueueScreen):
                break
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.window.total > 0


async def test_esc_shows_the_empty_queue(empty: Services) -> None:
    app = make_app(empty)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        assert "Nothing here" in screen_text(app)


async def test_a_desk_with_conversations_opens_on_the_queue(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
