"""tuidesk benchmarks: speed and memory at 1k, 100k and 1M messages, as ratios to baselines.

Usage:  python benchmarks/run.py --size 1000000 [--out benchmarks/RESULTS.md] [--skip-load]

Every number is compared with a baseline measured in the same run on the same machine
(this machine is noisy and has 2 cores): raw sqlite3 executemany for imports, the same app
at 1k messages for paint and keys, Textual's DataTable for the queue widget.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from app_bench import measure  # noqa: E402

from tuidesk.config import Settings  # noqa: E402
from tuidesk.services import open_services  # noqa: E402
from tuidesk.services.demo import generate, seed_demo  # noqa: E402
from tuidesk.services.sentiment import sentiment  # noqa: E402

NOW = 1_795_176_000
FRAME_MS = 1000 / 60


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- 1. import ---------------------------------------------------------------------------

def bench_import(size: int, work: Path) -> dict[str, float]:
    msgs = [m for batch in generate(size, NOW, seed=11) for m in batch]
    t = time.perf_counter()
    msgs = [replace(m, sentiment=sentiment(m.text)) if m.direction == "in" else m
            for m in msgs]
    sentiment_s = time.perf_counter() - t
    # Short runs are at the mercy of this shared machine's scheduler: take the best of several
    # runs for both sides (fresh files each time) where that is affordable.
    runs = 5 if size <= 10_000 else 3 if size <= 100_000 else 1
    store_s = raw_s = float("inf")
    rows = [(m.network, m.remote_id, i // 3 + 1, m.direction, m.in_reply_to, None, None,
             m.author, m.text, m.created_at, m.visibility, m.url, m.raw, m.sentiment)
            for i, m in enumerate(msgs)]
    for run in range(runs):
        db = work / f"import-{size}-{run}.db"
        svc = open_services(db, Settings(agent="bench"))
        t = time.perf_counter()
        for start in range(0, len(msgs), 50_000):
            svc.ingest.ingest(msgs[start:start + 50_000])
        store_s = min(store_s, time.perf_counter() - t)
        svc.close()
        # Baseline: the same rows, same schema, plain executemany, no FTS, no derived state.
        raw = work / f"raw-{size}-{run}.db"
        open_services(raw, Settings(agent="bench")).close()
        conn = sqlite3.connect(raw)
        conn.execute("DROP TABLE messages_fts")
        conn.execute("PRAGMA foreign_keys = OFF")
        t = time.perf_counter()
        conn.executemany(
            "INSERT INTO messages (network, remote_id, conversation_id, direction, "
            "in_reply_to, customer_id, brand_id, author, text, created_at, visibility, url, "
            "raw, sentiment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
        raw_s = min(raw_s, time.perf_counter() - t)
        conn.close()
    return {"messages": len(msgs), "store_rows_s": len(msgs) / store_s,
            "raw_rows_s": len(msgs) / raw_s, "ratio": raw_s / store_s,
            "sentiment_cached_s": sentiment_s,
            "unique_texts": len({m.text for m in msgs if m.direction == "in"})}


# -- 2-4. app: paint, keys (headless) and a real process in a pty ---------------------------

def real_process(db: Path, keys: bytes = b"jjjjGgjj") -> dict[str, float]:
    """Start `tuidesk` in a pseudo-terminal; time to the first queue row; peak RSS."""
    import pty
    import select

    master, slave = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = os.environ | {"TERM": "xterm-256color", "TUIDESK_CONFIG_FILE": str(db) + ".toml"}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tuidesk", "--db", str(db), "--agent",
                             "bench"], stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True, start_new_session=True)
    os.close(slave)
    out, painted = bytearray(), None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and painted is None:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            out.extend(os.read(master, 65536))
            # Matched on the text without escape sequences: style changes go out as
            # differences, so a row's words may be split by one (b"52w over" ESC[..m b" MA").
            text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", bytes(out))
            if b" over " in text or b" in " in text and b"CUSTOMER" in text:
                painted = time.perf_counter() - t
    for k in keys:
        os.write(master, bytes([k]))
        time.sleep(0.15)
    time.sleep(0.5)
    hwm = 0
    with open(f"/proc/{proc.pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) // 1024
    os.write(master, b"q")
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    os.close(master)
    return {"pty_first_paint_s": painted or float("nan"), "peak_rss_mb": hwm}


# -- 5. DataTable baseline ----------------------------------------------------------------

async def datatable_first_paint(db: Path) -> float:
    from textual.app import App
    from textual.widgets import DataTable

    svc = open_services(db, Settings(agent="bench"))
    t = time.perf_counter()
    rows = []
    after = None
    while True:
        page = svc.inbox.page("all", after, 5000)
        rows.extend(page)
        if len(page) < 5000:
            break
        after = svc.inbox.key_of("all", page[-1])

    class Baseline(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            table: DataTable[str] = DataTable()
            table.add_columns("due", "net", "customer", "message", "status", "agent")
            table.add_rows([(str(r.due_at), r.network, r.customer, r.preview[:60], r.status,
                             r.assignee or "-") for r in rows])
            yield table

    app = Baseline()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
    svc.close()
    return time.perf_counter() - t, len(rows)


# -- 6. multi-agent load ------------------------------------------------------------------

LOAD_WORKER = r"""
import sys, time, random, sqlite3, json
from tuidesk.config import Settings
from tuidesk.services import open_services
from tuidesk.errors import ActionError, StoreError
db, agent, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
svc = open_services(db, Settings(agent=agent))
ids = [r.id for r in svc.inbox.page("all", None, 2000)]
rng = random.Random(agent)
lat, ops, locked, conflicts = [], 0, 0, 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    cid = rng.choice(ids)
    op = rng.choice(("claim", "note", "resolve", "reopen"))
    t = time.perf_counter()
    try:
        if op == "claim": svc.inbox.claim(cid)
        elif op == "note": svc.inbox.note(cid, "load")
        elif op == "resolve": svc.inbox.resolve(cid)
        else: svc.inbox.reopen(cid)
        ops += 1
    except ActionError:
        conflicts += 1; ops += 1
    except StoreError as exc:  # the store maps "database is locked" to StoreError
        locked += 1
    lat.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ops": ops, "locked": locked, "conflicts": conflicts, "lat": lat}))
"""


def bench_load(db: Path, processes: int = 8, seconds: float = 30.0) -> dict[str, float]:
    procs = [subprocess.Popen([sys.executable, "-c", LOAD_WORKER, str(db), f"agent{i}",
                               str(seconds)], stdout=subprocess.PIPE, text=True)
             for i in range(processes)]
    results = [json.loads(p.communicate(timeout=seconds + 120)[0]) for p in procs]
    lat = sorted(x for r in results for x in r["lat"])
    ops = sum(r["ops"] for r in results)
    return {"processes": processes, "seconds": seconds, "ops_s": ops / seconds,
            "p50_ms": statistics.median(lat), "p99_ms": lat[int(0.99 * (len(lat) - 1))],
            "lock_errors": sum(r["locked"] for r in results),
            "claim_conflicts": sum(r["conflicts"] for r in results)}


# -- report -------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--load-seconds", type=float, default=30.0)
    args = parser.parse_args()
    sizes = sorted({s for s in (1000, 100_000, args.size) if s <= args.size})
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="tuidesk-bench-"))
    results: dict[str, dict] = {"import": {}, "app": {}, "datatable": {}}
    for size in sizes:
        log(f"import {size:,}")
        results["import"][size] = bench_import(size, work)
        db = work / f"app-{size}.db"
        log(f"generate app db {size:,}")
        svc = open_services(db, Settings(agent="bench"))
        seed_demo(svc.ingest, svc.for_agent, size, 7)
        svc.close()
        log(f"app {size:,}")
        # Keystrokes are compared between the smallest and the largest size only.
        app = asyncio.run(measure(str(db), rounds=3 if size in (sizes[0], sizes[-1]) else 0))
        app.update(real_process(db))
        results["app"][size] = app
    # DataTable baseline at about 10k and 100k conversations (it takes minutes at 1M).
    for n in (10_000, 100_000):
        if n > args.size:
            continue
        dbn = work / f"dt-{n}.db"
        s2 = open_services(dbn, Settings(agent="bench"))
        seed_demo(s2.ingest, s2.for_agent, n * 3, 7)  # ~3 messages per conversation
        s2.close()
        log(f"datatable ~{n:,} conversations")
        dt, count = asyncio.run(datatable_first_paint(dbn))
        ours = asyncio.run(measure(str(dbn), view="all", rounds=0))["first_paint_s"]
        results["datatable"][count] = {"datatable_s": dt, "queue_list_s": ours,
                                       "ratio": dt / ours}
    if not args.skip_load:
        log("multi-agent load")
        results["load"] = bench_load(work / f"app-{sizes[0]}.db", 8, args.load_seconds)
    results["total_s"] = time.perf_counter() - started
    report = render(results, args)
    Path(args.out).write_text(report)
    print(report)
    return 0


def render(r: dict, args: argparse.Namespace) -> str:
    small = min(r["app"])
    big = max(r["app"])
    a1, aN = r["app"][small], r["app"][big]
    lines = [
        "# tuidesk benchmark results", "",
        f"Command: `python benchmarks/run.py --size {args.size}`"
        + (" --skip-load" if args.skip_load else ""),
        f"Machine: {platform.platform()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores. Total {r['total_s']:.0f} s.",
        "", "## 1. Import (store work; sentiment precomputed and reported apart; best of 5 "
        "runs for both sides up to 10k messages, of 3 up to 100k)", "",
        "| messages | tuidesk rows/s | raw executemany rows/s | ratio (target >= 0.33) "
        "| sentiment pass (cached) |", "|---:|---:|---:|---:|---:|"]
    for _, v in sorted(r["import"].items()):
        lines.append(f"| {v['messages']:,} | {v['store_rows_s']:,.0f} | {v['raw_rows_s']:,.0f} "
                     f"| {v['ratio']:.3f} | {v['sentiment_cached_s']:.2f} s "
                     f"({v['unique_texts']:,} unique texts) |")
    lines += ["", "## 2-4. App (120x40)", "",
              "| messages | conversations in Inbox | first paint headless | first paint pty "
              "| peak RSS |", "|---:|---:|---:|---:|---:|"]
    for size, v in sorted(r["app"].items()):
        lines.append(f"| {size:,} | {v['rows_in_view']:,} | {v['first_paint_s']:.3f} s | "
                     f"{v['pty_first_paint_s']:.3f} s | {v['peak_rss_mb']} MB |")
    lines += ["", f"First paint ratio {big:,} / {small:,}: headless "
              f"{aN['first_paint_s'] / a1['first_paint_s']:.2f}, pty "
              f"{aN['pty_first_paint_s'] / a1['pty_first_paint_s']:.2f} (target < 1.5; "
              "absolute target < 1 s).", "",
              "Keystroke cost (action + store queries + rendering every visible line; budget "
              f"{FRAME_MS + 10:.1f} ms = one 60 Hz frame + 10 ms). 3 rounds of 200 presses "
              "per key and size; p50 over all, p99 the median of the rounds' p99 (all three "
              "in brackets):", "",
              f"| key | p50 {small:,} | p99 {small:,} | p50 {big:,} | p99 {big:,} | "
              "p99 ratio |", "|---|---:|---:|---:|---:|---:|"]
    for key in ("down", "page_down", "end", "open", "search", "view"):
        p1, pN = a1[f"{key}_p99_ms"], aN[f"{key}_p99_ms"]
        r1 = "/".join(f"{v:.1f}" for v in a1[f"{key}_p99_rounds_ms"])
        rN = "/".join(f"{v:.1f}" for v in aN[f"{key}_p99_rounds_ms"])
        lines.append(f"| {key} | {a1[f'{key}_p50_ms']:.2f} ms | {p1:.2f} ms ({r1}) | "
                     f"{aN[f'{key}_p50_ms']:.2f} ms | {pN:.2f} ms ({rN}) | {pN / p1:.2f} |")
    lines += ["", f"Through Textual's input path with Pilot (press + idle, includes Pilot's "
              f"fixed overhead): {a1['pilot_down_p50_ms']:.0f} ms at {small:,}, "
              f"{aN['pilot_down_p50_ms']:.0f} ms at {big:,}.", "",
              "## 5. Baseline: the same queue in Textual's DataTable (all rows loaded)", "",
              "| conversations | DataTable first paint | QueueList first paint | ratio |",
              "|---:|---:|---:|---:|"]
    for n, v in sorted(r["datatable"].items()):
        lines.append(f"| {n:,} | {v['datatable_s']:.2f} s | {v['queue_list_s']:.3f} s | "
                     f"{v['ratio']:.0f}x |")
    lines += ["", "Both load the same rows from the same store (All view, 120x40); the "
              "DataTable holds them all, the QueueList asks for the visible ones."]
    if "load" in r:
        v = r["load"]
        lines += ["", f"## 6. Multi-agent load ({v['processes']} processes, "
                  f"{v['seconds']:.0f} s, claim/note/resolve/reopen on one DB)", "",
                  f"{v['ops_s']:,.0f} operations/s; latency p50 {v['p50_ms']:.1f} ms, p99 "
                  f"{v['p99_ms']:.1f} ms; lock errors {v['lock_errors']} (target 0); claim "
                  f"conflicts reported to the agent {v['claim_conflicts']:,}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
