"""Helpers shared by tests (import as `from support import ...`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tuidesk.ui.app import TuideskApp
    from tuidesk.ui.screens.queue import QueueScreen

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
#: 2026-11-20 12:00:00 UTC: every test sees the same "now".
NOW = 1_795_176_000


def shared_file(name: str) -> Path:
    """A file of the real material in ../shared/data. A clone without it skips these tests;
    CI (TUIDESK_REQUIRE_SHARED=1, set by .ci/run) fails them instead, so they never
    silently stop running."""
    path = SHARED / name
    if not path.exists():
        message = f"shared data not found: {path} (CI has ../shared beside the clone)"
        if os.environ.get("TUIDESK_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path



def queue_screen(app: TuideskApp) -> QueueScreen:
    from tuidesk.ui.screens.queue import QueueScreen

    screen = app.screen
    while not isinstance(screen, QueueScreen):
        screen = app.screen_stack[-2]
    return screen


def screen_text(app: TuideskApp) -> str:
    """What the terminal shows, as plain text (from the exported SVG's text nodes)."""
    import html
    import re

    svg = app.export_screenshot()
    rows: dict[str, list[str]] = {}
    for y, text in re.findall(r'<text[^>]*y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(y, []).append(html.unescape(text).replace("\xa0", " "))
    return "\n".join("".join(parts) for _, parts in sorted(rows.items(),
                                                           key=lambda kv: float(kv[0])))


async def settle(pilot: object) -> None:
    """Wait until the detail pane has caught up with the cursor (it is read in a thread
    once the cursor rests) and the rows ahead of it are read."""
    from textual.worker import WorkerState

    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(100):
        await pilot.pause(0.03)  # type: ignore[attr-defined]
        reading = any(w.group in ("detail", "ahead")
                      and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
                      for w in app.workers)
        if not reading and not queue_screen(app).detail_pending:
            return
    raise AssertionError("the detail pane never caught up")


def move_to(app: TuideskApp, conversation_id: int) -> None:
    """Put the queue cursor on a conversation of the current view."""
    from tuidesk.ui.widgets.queue_list import QueueList

    screen = queue_screen(app)
    for i in range(screen.window.total):
        row = screen.window.get(i)
        if row is not None and row.id == conversation_id:
            screen.query_one(QueueList).cursor = i
            return
    raise AssertionError(f"#{conversation_id} not in view {screen.view}")


def union_find() -> tuple[dict[str, str], object]:
    """A tiny union-find for rebuilding TWCS threads independently of tuidesk."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    return parent, find


class Tmux:
    """A private tmux server (its own socket) running one window, `t`."""
    def __init__(self) -> None:
        self.sock = f"tuidesk-test-{os.getpid()}-{time.monotonic_ns()}"

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True,
                              text=True, timeout=20).stdout

    def start(self, db: Path, size: tuple[int, int], ready: str = "user") -> None:
        """tuidesk on `db` in a detached tmux window of `size`; returns once `ready` shows."""
        env = {k: v for k, v in os.environ.items() if k.startswith(("HOME", "XDG", "TUIDESK",
                                                                   "PATH", "USER"))}
        cmd = " ".join(["env", "-u", "COLUMNS", "-u", "LINES",
                        *[f"{k}={v}" for k, v in env.items()], "TERM=xterm-256color",
                        "LANG=C.UTF-8", sys.executable, "-m", "tuidesk", "--db", str(db)])
        self("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(size[0]), "-y",
             str(size[1]), cmd)
        deadline = time.monotonic() + 20
        while ready not in self("capture-pane", "-t", "t", "-p") and \
                time.monotonic() < deadline:
            time.sleep(0.2)
