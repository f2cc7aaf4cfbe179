"""Hostile text never reaches a terminal from the CLI: every command and every format."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from support import NOW
from tuidesk.cli import main
from tuidesk.services.clock import FixedClock

EVIL = "Eve\x1b]52;c;cm0gLXJm\x1b\\\x1b]2;TITLE\x1b\\\x9b31m\u202eexe.txt\u2066"
RAW = ["\x1b", "\x9b", "\u202e", "\u2066", "\x07", "\u2028"]


def _assert_inert(text: str) -> None:
    found = [repr(c) for c in RAW if c in text]
    assert not found, found


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    db = tmp_path / "h.db"
    src = tmp_path / "h.jsonl"
    src.write_text("\n".join(json.dumps({
        "network": "mastodon", "id": f"x{i}", "direction": d, "author": EVIL if d == "in"
        else "brand" + EVIL, "brand": "brand" + EVIL, "text": "hello " + EVIL + "\u2028line",
        "created_at": NOW - 900 + i, "thread": "t1", "author_name": EVIL})
        for i, d in enumerate(["in", "out", "in"])) + "\n")
    assert main(["--db", str(db), "--agent", EVIL, "import", str(src), "--quiet"],
                clock=FixedClock(NOW)) == 0
    # A network name from an older database (import now refuses such a name).
    con = sqlite3.connect(db)
    con.execute("UPDATE conversations SET network = ?", ("ma" + EVIL,))
    con.commit()
    con.close()
    return db


@pytest.mark.parametrize("argv", [
    ["list"], ["list", "--view", "all", "--json"], ["list", "--view", "all", "--json"],
    ["list", "--search", "hello"], ["log"], ["log", "--json"],
    ["report", "--since", "all"], ["report", "--since", "all", "--format", "json"],
    ["report", "--since", "all", "--format", "csv"],
])
def test_every_cli_format_is_inert(hostile_db: Path, argv: list[str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", str(hostile_db), *argv], clock=FixedClock(NOW))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Eve" in captured.out  # the hostile rows were printed
    _assert_inert(captured.out)
    _assert_inert(captured.err)
    if "--json" in argv or "json" in argv:
        json.loads(captured.out)  # still valid JSON: the characters are escaped, not lost
        assert "\\u009b" in captured.out or "\\u202e" in captured.out


def test_json_keeps_the_text_recoverable(hostile_db: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    main(["--db", str(hostile_db), "list", "--view", "all", "--json"], clock=FixedClock(NOW))
    rows = json.loads(capsys.readouterr().out)
    assert EVIL in rows[0]["customer"]  # a JSON reader gets the exact value back


def test_csv_cells_cannot_run_as_formulas(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "f.jsonl"
    src.write_text(json.dumps({"network": "mastodon", "id": "1", "direction": "in",
                               "author": "c", "brand": "=HYPERLINK(\"http://x\")",
                               "text": "t", "created_at": NOW - 60}) + "\n")
    db = str(tmp_path / "f.db")
    main(["--db", db, "import", str(src), "--quiet"], clock=FixedClock(NOW))
    capsys.readouterr()
    main(["--db", db, "report", "--since", "all", "--format", "csv"], clock=FixedClock(NOW))
    assert "'=HYPERLINK" in capsys.readouterr().out


def test_import_error_echoing_a_hostile_header_is_inert(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("tweet_id,author\x1b]2;TITLE\x07,\u202einbound\n1,2,3\n")
    code = main(["--db", str(tmp_path / "b.db"), "import", str(src), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3
    assert "header" in err and "TITLE" in err
    _assert_inert(err)
    assert len(err.strip().splitlines()) == 1
