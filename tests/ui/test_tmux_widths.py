"""In a real terminal (tmux): emoji sequences, flags, skin tones, VS16, keycaps, CJK and
combining marks in the queue leave the divider in one column on every line and no word
drawn twice, at two sizes and after moving the cursor. Columns are counted as tmux lays
them out (per code point, a joined emoji as one), not as Textual believes."""

from __future__ import annotations

import json
import re
import shutil
import time
import unicodedata
from pathlib import Path

import pytest
from wcwidth import wcwidth

from support import NOW, Tmux
from tuidesk.config import Settings
from tuidesk.services import open_services

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (.ci/run "
                                "installs it)")

CORPUS = ["👩‍💻 my laptop", "👨‍👩‍👧‍👦 family plan", "🇩🇪 roaming", "👍🏽 thanks", "❤️ love it",
          "#️⃣ keypad broken", "漢字のテスト、ルーターが壊れた", "cafe\u0301 wifi", "🙋🏽‍♀️ hello",
          "✔️ done", "🏳️‍🌈 pride", "🤦🏼‍♂️ again", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 scotland", "한국어 문의"]


#: The queue's scrollbar thumb, drawn in its last column.
SCROLLBAR = " ▁▂▃▄▅▆▇█▔"


def tmux_cells(text: str) -> int:
    """Cells tmux 3.3 gives `text`: per code point (wcwidth), zero for what joins (ZWJ and
    the code point it joins, variation selectors, combining marks)."""
    cells, joined, flag = 0, False, False
    for ch in text:
        if joined:
            joined = False
            continue
        if ch == "\u200d":
            joined = True
            continue
        if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        if "\U0001f1e6" <= ch <= "\U0001f1ff":  # a flag is a pair: two cells for both
            flag = not flag
            cells += 2 if flag else 0
            continue
        cells += max(0, wcwidth(ch))
    return cells


def _desk(tmp: Path) -> Path:
    db = tmp / "w.db"
    src = tmp / "w.jsonl"
    rows = [{"network": "mastodon", "id": f"w{i}", "direction": "in",
             "author": f"{text.split()[0]}user{i}", "brand": "acme", "text": text,
             "created_at": NOW - 3600 * (i + 1)} for i, text in enumerate(CORPUS)]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    svc = open_services(db, Settings(agent="tester"))
    assert svc.ingest.import_file(str(src)).imported == len(CORPUS)
    svc.close()
    return db


@pytest.mark.parametrize("size", [(120, 40), (100, 30)])
def test_the_divider_stays_in_one_column_and_no_word_doubles(tmp_path: Path,
                                                              size: tuple[int, int]) -> None:
    db = _desk(tmp_path)
    tmux = Tmux()
    cols, rows = size
    tmux.start(db, size)
    try:
        for keys in ([], ["j", "j", "j"], ["j"] * 6, ["G"], ["k", "k"]):
            for key in keys:
                tmux("send-keys", "-t", "t", key)
                time.sleep(0.12)
            time.sleep(0.8)
            screen = tmux("capture-pane", "-t", "t", "-p").splitlines()
            body = [line for line in screen[1:rows - 1] if line.strip()]
            if any("│" in line for line in body):  # queue | detail, side by side
                columns = {tmux_cells(line.split("│")[0]) for line in body if "│" in line}
                assert len(columns) == 1, (keys, "\n".join(screen))
            # Every queue row ends (its AGE column) in the same cell as the header's AGE.
            queue = body[:next((i for i, line in enumerate(body) if "────" in line
                                and "│" not in line), len(body))]
            ends = {tmux_cells(line.split("│")[0].rstrip(SCROLLBAR)): line for line in queue
                    if "user" in line.split("│")[0] or "AGE" in line}
            assert len(ends) == 1, (keys, ends, "\n".join(screen))
            text = "\n".join(screen)
            for word in ("mastodon", "priority", "Why", "conversations", "Thread", "◀ "):
                assert word[0] + word not in text, (keys, word, text)  # drawn twice
            for line in body:
                assert not re.search(r"(\w)\1\1|ttwitter|dudue|nnew|eew", line), line
                row = re.match(r".*(new|open|wait|pending)\s+(-|tester)\s+\d+[smhdw] ",
                               line.split("│")[0].rstrip(SCROLLBAR) + " ")
                if "user" in line.split("│")[0] and line in queue:
                    assert row, ("queue row lost its tail", line)
    finally:
        tmux("kill-server")


def test_a_zwj_sequence_typed_into_the_composer_is_kept_whole(tmp_path: Path) -> None:
    """Typed through the terminal (tmux send-keys: key bytes through Textual's input parser
    and the composer), 🙋🏽‍♀️ keeps its zero-width joiner in the saved draft."""
    import sqlite3

    db = _desk(tmp_path)
    tmux = Tmux()
    tmux.start(db, (120, 40))
    typed = "hi 🙋🏽\u200d♀️ 👩\u200d💻"
    try:
        tmux("send-keys", "-t", "t", "r")
        time.sleep(1.0)
        tmux("send-keys", "-t", "t", "-l", typed)
        time.sleep(0.8)
        tmux("send-keys", "-t", "t", "Escape")
        time.sleep(1.0)
    finally:
        tmux("kill-server")
    con = sqlite3.connect(db)
    drafts = [r[0] for r in con.execute("SELECT text FROM drafts")]
    con.close()
    assert any(typed in d for d in drafts), [d.encode("unicode_escape") for d in drafts]
