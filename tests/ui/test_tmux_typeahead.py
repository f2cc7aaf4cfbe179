"""In a real terminal (tmux): keys that arrive in one burst (a paste, tmux send-keys, a fast
typist over SSH) reach the search field and the `:` line in order, and the Enter at their end
submits what was typed (issue 18: `/outage⏎` in one write submitted an empty field, which went
back to the view, and `:view waiting⏎` stayed in the line)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (.ci/run "
                                "installs it)")


def burst(tmux: Tmux, *keys: str) -> None:
    """All keys in one send-keys: one write to the pane, as a paste."""
    tmux("send-keys", "-t", "t", *keys)


def top_line_after(tmux: Tmux, pattern: str, limit: float = 15) -> str:
    deadline = time.monotonic() + limit
    line = ""
    while time.monotonic() < deadline:
        line = tmux("capture-pane", "-t", "t", "-p").splitlines()[0]
        if re.search(pattern, line):
            break
        time.sleep(0.1)
    return line


def test_a_burst_ending_in_enter_submits_what_it_typed(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "d.db"
    subprocess.run([sys.executable, "-m", "tuidesk", "demo", "--generate", "400", "--db",
                    str(db)], check=True, capture_output=True, timeout=120)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    tmux = Tmux()
    tmux.start(db, (100, 30), ready="Inbox")
    try:
        assert re.search(r"1 Inbox \d", top_line_after(tmux, r"1 Inbox \d"))
        burst(tmux, "/", *"outage", "Enter")
        line = top_line_after(tmux, r"Search 'outage'\s+\d+ conversations")
        assert re.search(r"Search 'outage'\s+\d+ conversations", line), line
        burst(tmux, "Escape")
        top_line_after(tmux, r"1 Inbox \d")
        burst(tmux, ":", *"view", "Space", *"waiting", "Enter")
        line = top_line_after(tmux, r"3 Waiting \d")
        assert re.search(r"3 Waiting \d", line), line
        screen = tmux("capture-pane", "-t", "t", "-p")
        assert "view waiting" not in screen  # the line was submitted, not left open
    finally:
        tmux("kill-server")
