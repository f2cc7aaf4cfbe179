"""Hostile text: markup, escapes and bidi controls import and display literally and inertly."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from textual.widgets import Static

from pty_app import run_in_pty
from support import NOW, queue_screen, settle
from tuidesk.cli import make_app
from tuidesk.config import Settings
from tuidesk.services import Services, open_services
from tuidesk.services.clock import FixedClock
from tuidesk.ui.widgets.conversation_detail import ConversationDetail
from tuidesk.ui.widgets.queue_list import QueueList

HOSTILE = [
    "[@click=app.quit]click me[/]",
    "[link=https://evil.example]free money[/link]",
    "unbalanced [/ close and [bold]open",
    "title \x1b]0;pwned-title\x07 set",
    "clipboard \x1b]52;c;cm0gLXJmIH4vKg==\x07 write",
    "link \x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ here",
    "clear \x1b[2J\x1b[H screen and \x9b31m C1 CSI",
    "bidi \u202eevil.exe\u202c and \u2066isolate\u2069",
]


def hostile_jsonl(path: Path) -> None:
    lines = []
    for i, text in enumerate(HOSTILE):
        lines.append(json.dumps({
            "network": "mastodon", "id": f"h{i}", "direction": "in",
            "author": f"[@click=app.quit]user{i}\x1b]0;pwned\x07", "brand": "acme",
            "author_name": "[b]Bold[/b] \u202eName", "text": text,
            "created_at": NOW - 600 - i, "url": "https://x.example/\x1b]52;c;AAAA\x07"}))
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def hostile_services(tmp_path: Path) -> Services:
    src = tmp_path / "hostile.jsonl"
    hostile_jsonl(src)
    svc = open_services(tmp_path / "hostile.db", Settings(agent="tester"), FixedClock(NOW))
    report = svc.ingest.import_file(str(src))
    assert report.imported == len(HOSTILE) and report.failed == 0
    yield svc
    svc.close()


def _no_controls(text: str) -> None:
    bad = [hex(ord(c)) for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F
           or c in "\u202e\u2066\u2069\u202c"]
    assert not bad, bad


async def test_hostile_text_shows_literally(hostile_services: Services) -> None:
    app = make_app(hostile_services)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = queue_screen(app)
        queue = screen.query_one(QueueList)
        assert screen.window.total == len(HOSTILE)
        seen_details = []
        for _ in range(len(HOSTILE)):
            lines = [queue.render_line(y).text for y in range(len(HOSTILE))]
            for line in lines:
                _no_controls(line)
            detail = str(screen.query_one(ConversationDetail).body.render())
            _no_controls(detail)
            seen_details.append(detail)
            await pilot.press("j")
            await settle(pilot)
        everything = "\n".join(seen_details)
        assert "[@click=app.quit]click me[/]" in everything
        assert "[link=https://evil.example]free money[/link]" in everything
        assert "unbalanced [/ close and [bold]open" in everything
        assert "␛]52;c;cm0gLXJmIH4vKg==␇" in everything  # visible, inert
        assert "[b]Bold[/b]" in everything
        svg = app.export_screenshot()
        assert "\x1b" not in svg
        # Clicking the rendered markup text runs nothing.
        await pilot.click(QueueList, offset=(30, 0))
        await pilot.click(ConversationDetail, offset=(5, 5))
        await pilot.pause()
        assert app.is_running
        # Notifications and modals built from the same text stay literal too.
        await pilot.press("n")
        await pilot.press("escape")
        assert isinstance(app.screen.query_one("#view-bar"), Static)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_hostile_text_never_reaches_the_terminal(hostile_services: Services) -> None:
    """Run the real app in a pseudo-terminal and read every byte it writes."""
    db = hostile_services.db_path
    hostile_services.close()
    out, code = run_in_pty([sys.executable, "-m", "tuidesk", "--db", db], dict(os.environ),
                           keys=b"jjjjjjjjq")
    assert code == 0
    assert b"click me" in out  # the hostile rows were on screen
    assert b"\x1b]52" not in out  # no clipboard write
    assert b"pwned" not in out or b"\x1b]0;pwned" not in out  # no title change
    assert b"\x1b]8;;https://evil" not in out  # no hyperlink
    assert b"\x1b[2J\x1b[H screen" not in out
    assert "\u202e".encode() not in out
