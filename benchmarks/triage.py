"""Saved views and search in unspaced scripts at size, against their built-in equivalents
measured in the same run.

    .venv/bin/python benchmarks/triage.py --db /tmp/m1.db [--repeat 30]
        [--src BASELINE/src --rounds 2]   # a baseline's pty figures, alternating

Works on a copy of the database: adds `--cjk N` messages in Chinese, Japanese and Thai with
emoji (default 20,000: a desk with some customers writing so), tags, and a config with two
saved views (tag + status, and overdue + priority). Then:

1. In-process (the store queries the app makes): the first page of each saved view against
   the Inbox's; a CJK search's first batch (`路由器`, `🙏`, `ルーター`) against a word search
   (`outage`); p50/p99 over `--repeat` runs.
2. A real `tuidesk` in a pseudo-terminal at 120x40: key -> first byte for switching to the
   saved view (`8`, `9`) against switching to a built-in view (`3`, `1`), and Enter on a CJK
   search against Enter on `outage`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pty_bytes import Pty  # noqa: E402

CJK = ["我的路由器坏了，请帮忙 🙏", "网络又断了，什么时候修好？😡", "账单上多收了钱，请退款",
       "ルーターが壊れました。助けてください 🙏", "请问光纤什么时候到我家？", "ネットが遅いです",
       "สวัสดีครับ เน็ตเสียตั้งแต่เช้า 🙏", "客服电话一直占线 📞", "谢谢你们的帮助！👍"]

CONFIG = """
[views.billing]
title = "Billing"
tag = ["billing"]
status = ["new", "open"]

[views.urgent]
title = "Urgent"
priority = ["urgent", "high"]
overdue = true
"""


def add_cjk(db: str, n: int) -> None:
    from tuidesk.config import Settings
    from tuidesk.services import open_services

    rng = random.Random(7)
    now = int(time.time())
    lines = []
    for i in range(n):
        lines.append(json.dumps({
            "network": "mastodon", "id": f"cjk-{i}", "direction": "in",
            "author": f"cust{rng.randrange(5000)}@mstdn.example", "brand": "acme_support",
            "text": rng.choice(CJK) + f" #{i}", "created_at": now - rng.randrange(86400 * 30)}))
    path = Path(db).with_suffix(".cjk.jsonl")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    svc = open_services(db, Settings(agent="bench"))
    report = svc.ingest.import_file(str(path), "bench")
    rows = svc.inbox.page("inbox", None, 4000)
    for row in rows[::3]:  # a third of the top of the inbox is about billing
        svc.inbox.set_tags(row.id, ["billing"])
    svc.close()
    print(f"added {report.imported:,} CJK messages; tagged {len(rows[::3]):,} conversations")


def ms(samples: list[float]) -> str:
    """'p50 / p99' in ms ('-' when nothing was measured)."""
    if not samples:
        return "     - /      -"
    s = sorted(samples)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
    return f"{statistics.median(s) * 1000:6.2f} / {p99 * 1000:6.2f}"


#: Rows the queue list shows at 120x40: what a view switch reads for its first frame.
SCREENFUL = 36


def in_process(db: str, repeat: int) -> list[tuple[str, str, str]]:
    from tuidesk.config import load_settings
    from tuidesk.services import open_services

    svc = open_services(db, load_settings(agent="bench"))
    inbox = svc.inbox

    def timed(fn: object) -> list[float]:
        out = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()  # type: ignore[operator]
            out.append(time.perf_counter() - t)
        return out

    def first_page(view: str) -> None:
        # What a view switch reads before its first frame: a built-in view's count (from
        # view_counts) and its first page; a saved view's first page only (its count is
        # read apart, in a thread, after the frame: measured on its own below).
        if view not in inbox.saved_views:
            inbox.count(view)
        inbox.page(view, None, SCREENFUL)

    def search(text: str) -> None:
        inbox.search_hits(text).next_batch()

    rows = [("Inbox (built-in): count + first page", ms(timed(lambda: first_page("inbox"))),
             "baseline"),
            ("Waiting (built-in)", ms(timed(lambda: first_page("pending"))), "baseline"),
            ("saved view billing (tag + status)", ms(timed(lambda: first_page("billing"))), ""),
            ("saved view urgent (overdue + priority)", ms(timed(lambda: first_page("urgent"))),
             ""),
            ("  (billing's count, in a thread after the frame)",
             ms(timed(lambda: inbox.count("billing"))), "off the key path"),
            ("  (urgent's count, in a thread after the frame)",
             ms(timed(lambda: inbox.count("urgent"))), "off the key path"),
            ("search `outage` (words), first batch", ms(timed(lambda: search("outage"))),
             "baseline"),
            ("search `路由器`", ms(timed(lambda: search("路由器"))), ""),
            ("search `🙏`", ms(timed(lambda: search("🙏"))), ""),
            ("search `ルーター`", ms(timed(lambda: search("ルーター"))), ""),
            ("search `ETA: tomorrow` (not FTS syntax)",
             ms(timed(lambda: search("ETA: tomorrow"))), "")]
    svc.close()
    return rows


#: The pty figures: (what, key of in_pty's samples, note).
PTY_ROWS = [("switch to Waiting `3` (built-in)", "3", "baseline"),
            ("switch to Inbox `1` (built-in)", "1", "baseline"),
            ("switch to saved billing `8`", "8", ""),
            ("switch to saved urgent `9`", "9", ""),
            ("Enter on search `outage`", "outage", "baseline"),
            ("Enter on search `路由器`", "路由器", "")]


def in_pty(db: str, repeat: int, env: dict[str, str]) -> dict[str, list[float]]:
    """Latencies (s) of each key in one process: view keys, and Enter on each search."""
    pty = Pty([sys.executable, "-m", "tuidesk", "--db", db], (120, 40), env)
    try:
        pty.quiet(gap=1.0)
        out: dict[str, list[float]] = {k: [] for k in ("8", "9", "3", "1")}
        for _ in range(repeat):
            for key in ("3", "8", "1", "9"):
                latency = pty.first_byte_after(key.encode())
                if latency is not None:
                    out[key].append(latency)
                pty.quiet(gap=0.3)
        searches: dict[str, list[float]] = {"outage": [], "路由器": []}
        for _ in range(max(5, repeat // 3)):
            for text in searches:
                pty.key(b"/")
                pty.quiet(gap=0.3)
                pty.key(text.encode())
                pty.quiet(gap=0.3)
                latency = pty.until_after(b"\r", b"Search")  # the results' frame
                if latency is not None:
                    searches[text].append(latency)
                pty.quiet(gap=0.4)
                pty.key(b"\x1b")
                pty.quiet(gap=0.4)
    finally:
        pty.close()
    return out | searches


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--cjk", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--src", help="also time another checkout's src/ (the baseline) "
                        "in the pty, alternating with this one's")
    parser.add_argument("--rounds", type=int, default=1,
                        help="pty processes per checkout (alternating with --src)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tuidesk-triage-"))
    db = str(work / "bench.db")
    shutil.copy(args.db, db)
    config = work / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = os.environ | {"TUIDESK_CONFIG_FILE": str(config), "TUIDESK_AGENT": "bench",
                        "XDG_STATE_HOME": str(work / "state"), "TERM": "xterm-256color"}
    os.environ.update(env)
    t = time.perf_counter()
    add_cjk(db, args.cjk)
    print(f"(upgrade + CJK import: {time.perf_counter() - t:.1f} s)")
    print(f"\n{'in-process (store queries the app makes)':48} p50 / p99 ms")
    for name, figure, note in in_process(db, args.repeat):
        print(f"{name:48} {figure}  {note}")
    checkouts = [("this checkout", env)]
    if args.src:
        checkouts.append((f"baseline {args.src}", env | {"PYTHONPATH": args.src}))
    pooled: dict[str, dict[str, list[float]]] = {label: {} for label, _ in checkouts}
    for _ in range(args.rounds):
        for label, checkout_env in checkouts:
            for key, samples in in_pty(db, args.repeat, checkout_env).items():
                pooled[label].setdefault(key, []).extend(samples)
    for label, _ in checkouts:
        print(f"\n{'real process in a pty at 120x40: key -> first byte':48} p50 / p99 ms"
              f"  ({label})")
        for name, key, note in PTY_ROWS:
            print(f"{name:48} {ms(pooled[label][key])}  {note}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
