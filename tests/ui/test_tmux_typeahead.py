"""In a real terminal (tmux): keys that arrive in one burst (a paste, tmux send-keys, a fast
typist over SSH) reach the search field and the `:` line in order, and the Enter at their end
submits what was typed (issue 18: `/outage⏎` in one write submitted an empty field, which went
back to the view, and `:view waiting⏎` stayed in the line)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (.ci/run "
                                "installs it)")


class Tmux:
    def __init__(self) -> None:
        self.sock = f"tuidesk-ahead-{os.getpid()}-{time.monotonic_ns()}"

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True,
                              text=True, timeout=20).stdout

    def burst(self, *keys: str) -> None:
        """All keys in one send-keys: one write to the pane, as a paste."""
        self("send-keys", "-t", "t", *keys)

    def top_line_after(self, pattern: str, limit: float = 15) -> str:
        deadline = time.monotonic() + limit
        line = ""
        while time.monotonic() < deadline:
            line = self("capture-pane", "-t", "t", "-p").splitlines()[0]
            if re.search(pattern, line):
                break
            time.sleep(0.1)
        return line


def test_a_burst_ending_in_enter_submits_what_it_typed(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    subprocess.run([sys.executable, "-m", "tuidesk", "demo", "--generate", "400", "--db",
                    str(db)], check=True, capture_output=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k.startswith(("HOME", "PATH", "USER"))}
    cmd = " ".join(["env", *[f"{k}={v}" for k, v in env.items()], "TERM=xterm-256color",
                    f"XDG_STATE_HOME={tmp_path / 'state'}",
                    f"XDG_CONFIG_HOME={tmp_path / 'config'}",
                    sys.executable, "-m", "tuidesk", "--db", str(db)])
    tmux = Tmux()
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "100", "-y", "30", cmd)
    try:
        assert re.search(r"1 Inbox \d", tmux.top_line_after(r"1 Inbox \d"))
        tmux.burst("/", *"outage", "Enter")
        line = tmux.top_line_after(r"Search 'outage'\s+\d+ conversations")
        assert re.search(r"Search 'outage'\s+\d+ conversations", line), line
        tmux.burst("Escape")
        tmux.top_line_after(r"1 Inbox \d")
        tmux.burst(":", *"view", "Space", *"waiting", "Enter")
        line = tmux.top_line_after(r"3 Waiting \d")
        assert re.search(r"3 Waiting \d", line), line
        screen = tmux("capture-pane", "-t", "t", "-p")
        assert "view waiting" not in screen  # the line was submitted, not left open
    finally:
        tmux("kill-server")
