"""Faults end in a message: a full disk (a real tmpfs) and a damaged database page, in the CLI
(one line, exit 3) and in the app (a toast; it keeps running and loses no draft)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import TextArea

from support import NOW, queue_screen
from tuidesk.cli import make_app
from tuidesk.config import Settings
from tuidesk.services import open_services
from tuidesk.services.clock import FixedClock
from tuidesk.services.demo import seed_demo
from tuidesk.ui.screens.composer import ReplyComposerModal


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs of our own, where this machine lets a test mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk has no byte left."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError:
                pass
    return filler


def _demo(path: Path, size: int = 300) -> None:
    svc = open_services(path, Settings(agent="tester"), FixedClock(NOW))
    seed_demo(svc.ingest, svc.for_agent, size, 7)
    svc.close()


def test_cli_on_a_full_disk_is_one_line_exit_3(small_disk: Path, tmp_path: Path) -> None:
    db = small_disk / "desk.db"
    _demo(db)
    src = tmp_path / "more.jsonl"
    src.write_text("".join(
        f'{{"network": "mastodon", "id": "f{i}", "direction": "in", "author": "a{i}", '
        f'"brand": "acme", "text": "{"help " * 200}", "created_at": {NOW - 60}}}\n'
        for i in range(2000)))
    fill(small_disk)
    proc = subprocess.run([sys.executable, "-m", "tuidesk", "--db", str(db), "import",
                           str(src), "--quiet"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and ("Disk full" in lines[0] or "Database" in lines[0]), lines
    assert "Traceback" not in proc.stderr
    (small_disk / "filler").unlink()
    listed = subprocess.run([sys.executable, "-m", "tuidesk", "--db", str(db), "list",
                             "--view", "all", "--json"], capture_output=True, text=True,
                            timeout=60)
    assert listed.returncode == 0  # nothing else was lost: the desk opens as it was


async def test_app_on_a_full_disk_keeps_running_and_the_draft(small_disk: Path) -> None:
    db = small_disk / "desk.db"
    _demo(db)
    svc = open_services(db, Settings(agent="tester"), FixedClock(NOW))
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        filler = fill(small_disk)
        await pilot.press("c")  # claim: a write
        await pilot.pause()
        assert app.is_running
        assert any(n.title == "Disk full" for n in app._notifications)
        cid = queue_screen(app).selected.id
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReplyComposerModal)
        app.screen.query_one(TextArea).load_text("We are on it, sorry for the wait.")
        await pilot.pause(0.7)  # the autosave fails: a toast, the composer stays
        assert isinstance(app.screen, ReplyComposerModal)
        await pilot.press("ctrl+s")  # queueing fails: the text comes back
        await pilot.pause()
        assert isinstance(app.screen, ReplyComposerModal)
        assert app.screen.query_one(TextArea).text == "We are on it, sorry for the wait."
        filler.unlink()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ReplyComposerModal)
        assert [o.text for o in svc.inbox.conversation(cid).outbox] == [
            "We are on it, sorry for the wait."]
    svc.close()


def _damage(db: Path, table: str) -> None:
    """Overwrite every page of one b-tree with garbage, as a failing disk would."""
    con = sqlite3.connect(db)
    pages = [r[0] for r in con.execute("SELECT pageno FROM dbstat WHERE name = ?", (table,))]
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    assert pages
    with open(db, "r+b") as fh:
        for page in pages:
            fh.seek((page - 1) * page_size)
            fh.write(b"\xa5" * page_size)


def test_cli_on_a_damaged_page_is_one_line_exit_3(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    _demo(db)
    _damage(db, "messages_fts_data")
    proc = subprocess.run([sys.executable, "-m", "tuidesk", "--db", str(db), "list",
                           "--search", "outage"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Database damaged" in proc.stderr and "Traceback" not in proc.stderr


async def test_app_search_over_a_damaged_page_is_a_toast(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    _demo(db)
    _damage(db, "messages_fts_data")
    svc = open_services(db, Settings(agent="tester"), FixedClock(NOW))
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"outage", "enter")
        await pilot.pause()
        assert app.is_running
        assert any(n.title == "Database damaged" for n in app._notifications)
        await pilot.press("escape", "j")
        await pilot.pause()
        assert app.is_running
    svc.close()
