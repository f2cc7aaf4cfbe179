"""In a real terminal (tmux): hostile names reach the screen through templates (a saved reply,
a holding reply), the detail header and the composer title, and the terminal's title and
clipboard stay untouched; no raw escape sequence reaches the pane (issue 12)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import NOW
from tuidesk.config import Settings
from tuidesk.services import open_services

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (.ci/run "
                                "installs it)")

EVIL = "Eve\x1b]52;c;cm0gLXJmIH4=\x1b\\\x1b]2;PWNED-TITLE\x1b\\\x9d0;C1-TITLE\x9c\u202eeman"


class Tmux:
    def __init__(self, tmp: Path) -> None:
        self.sock = f"tuidesk-test-{os.getpid()}-{time.monotonic_ns()}"

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True,
                              text=True, timeout=20).stdout

    def keys(self, *keys: str, wait: float = 0.6) -> None:
        for key in keys:
            self("send-keys", "-t", "t", key)
            time.sleep(0.15)
        time.sleep(wait)

    def screen(self) -> str:
        return self("capture-pane", "-t", "t", "-p")


def _desk(tmp: Path) -> Path:
    db = tmp / "h.db"
    src = tmp / "h.jsonl"
    rows = [{"network": "mastodon", "id": f"x{i}", "direction": "in", "author": f"eve{i}",
             "author_name": EVIL, "brand": "acme", "text": f"my router {i}",
             "created_at": NOW - 900 + i} for i in range(2)]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    svc = open_services(db, Settings(agent="tester"))
    assert svc.ingest.import_file(str(src)).imported == 2
    svc.inbox.add_saved_reply("sorry", "Hi {customer}, sorry about this!")
    svc.close()
    con = sqlite3.connect(db)  # a network name from an older database
    con.execute("UPDATE conversations SET network = ? WHERE id = 2",
                ("mast\x1b]2;NET-TITLE\x07odon",))
    con.commit()
    con.close()
    return db


def test_templates_titles_and_headers_cannot_drive_the_terminal(tmp_path: Path) -> None:
    db = _desk(tmp_path)
    tmux = Tmux(tmp_path)
    env = {k: v for k, v in os.environ.items() if k.startswith(("HOME", "XDG", "TUIDESK",
                                                               "PATH", "USER"))}
    cmd = " ".join(["env", *[f"{k}={v}" for k, v in env.items()], "TERM=xterm-256color",
                    sys.executable, "-m", "tuidesk", "--db", str(db)])
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "100", "-y", "30", cmd)
    try:
        tmux("set-option", "-g", "set-clipboard", "on")  # an OSC 52 would fill a buffer
        tmux("set-option", "-g", "allow-rename", "on")
        time.sleep(0.5)
        title_before = tmux("display-message", "-p", "-t", "t", "#{pane_title}").strip()
        deadline = time.monotonic() + 20
        while "eve" not in tmux.screen() and time.monotonic() < deadline:
            time.sleep(0.2)
        screens = [tmux.screen()]
        tmux.keys("j", wait=1.0)  # the row with the hostile network: detail header
        screens.append(tmux.screen())
        tmux.keys("r")  # composer title
        tmux.keys("C-r", "Enter")  # saved reply filled with {customer}
        screens.append(tmux.screen())
        tmux.keys("Escape", "k")
        tmux.keys("e", "Enter", *"needs a tech", "Enter", wait=1.0)  # holding reply
        screens.append(tmux.screen())
        title_after = tmux("display-message", "-p", "-t", "t", "#{pane_title}").strip()
        buffers = tmux("list-buffers")
        tmux.keys("Escape", "q", wait=1.0)
    finally:
        tmux("kill-server")
    everything = "\n".join(screens)
    assert "Hi Eve␛]52;c;" in everything  # the saved reply, filled and inert
    assert "specialist team is now looking" in everything  # the holding reply, filled
    assert "NET-TITLE" in everything  # the network name was shown, as text
    assert "\x1b" not in everything and "\x9d" not in everything
    assert title_after == title_before and "TITLE" not in title_after
    assert buffers.strip() == ""  # no clipboard write reached tmux
