"""How long agents' writes wait while a large import runs (issue 12).

Usage:  python benchmarks/import_contention.py [--lines 400000] [--agents 8]

Makes a database with a little demo data, writes a JSONL file of `--lines` messages, then:
1. baseline: `--agents` processes write (a note each, BEGIN IMMEDIATE) for as long as
   the import will take, with no import running;
2. the same agents while `tuidesk import` of the file runs in another process.
Prints each agent write's wait (p50, p99, the longest) and busy errors for both phases, the
import's time and rows/s, and the ratio of the longest waits. Targets: 0 busy errors, longest
wait well under 1 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AGENT = r"""
import json, sys, time, random
from pathlib import Path
from tuidesk.config import Settings
from tuidesk.errors import StoreError
from tuidesk.services import open_services
db, agent, stop, seconds = sys.argv[1], sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])
svc = open_services(db, Settings(agent=agent))
ids = [r.id for r in svc.inbox.page("all", None, 500)]
rng = random.Random(agent)
waits, busy = [], 0
end = time.monotonic() + seconds
while not stop.exists() and time.monotonic() < end:
    t = time.perf_counter()
    try:
        svc.inbox.note(rng.choice(ids), "load")
    except StoreError as exc:
        busy += 1
    waits.append((time.perf_counter() - t) * 1000)
    time.sleep(0.005)
print(json.dumps({"waits": waits, "busy": busy}))
"""


def _jsonl(path: Path, lines: int) -> None:
    rng = random.Random(7)
    now = int(time.time()) - 86400
    with open(path, "w", encoding="utf-8") as fh:
        i = 0
        while i < lines:
            cust = f"c{rng.randrange(lines // 3)}"
            thread = f"t{i}"
            for j in range(min(rng.randint(1, 4), lines - i)):
                out = j % 2 == 1
                fh.write(json.dumps({
                    "network": "mastodon", "id": f"m{i}", "direction": "out" if out else "in",
                    "author": "acme" if out else cust, "customer": cust, "brand": "acme",
                    "thread": thread, "created_at": now + i,
                    "text": rng.choice(["my router is down again", "thanks, that worked",
                                        "still no signal since Monday", "we are on it"])})
                         + "\n")
                i += 1


def _agents(db: Path, n: int, stop: Path, seconds: float) -> list[subprocess.Popen[str]]:
    return [subprocess.Popen([sys.executable, "-c", AGENT, str(db), f"agent{k}", str(stop),
                              str(seconds)], stdout=subprocess.PIPE, text=True)
            for k in range(n)]


def _collect(procs: list[subprocess.Popen[str]]) -> dict[str, float]:
    results = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    waits = sorted(w for r in results for w in r["waits"])
    return {"writes": len(waits), "busy": sum(r["busy"] for r in results),
            "p50_ms": statistics.median(waits), "p99_ms": waits[int(0.99 * (len(waits) - 1))],
            "max_ms": waits[-1]}


def run(lines: int, agents: int, work: Path) -> dict[str, object]:
    """Both phases; returns their figures and the import's."""
    db, src = work / "desk.db", work / "big.jsonl"
    subprocess.run([sys.executable, "-m", "tuidesk", "demo", "--generate", "1000", "--db",
                    str(db)], check=True, capture_output=True)
    _jsonl(src, lines)
    # Import alone first, on a copy, to know how long the loaded phases must last.
    probe = work / "probe.db"
    subprocess.run(["cp", str(db), str(probe)], check=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tuidesk", "--db", str(probe), "import", str(src),
                    "--quiet"], check=True, capture_output=True)
    alone = time.perf_counter() - t
    stop = work / "stop"
    base = _collect(_agents(db, agents, stop, alone))
    procs = _agents(db, agents, stop, 3600)
    time.sleep(1.0)  # let every agent open the database first
    t = time.perf_counter()
    imp = subprocess.run([sys.executable, "-m", "tuidesk", "--db", str(db), "import",
                          str(src), "--quiet"], capture_output=True, text=True)
    during_s = time.perf_counter() - t
    stop.touch()
    loaded = _collect(procs)
    return {"alone_s": alone, "during_s": during_s, "import_exit": imp.returncode,
            "import_out": imp.stdout.strip(), "alone": base, "during": loaded}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=400_000)
    parser.add_argument("--agents", type=int, default=8)
    args = parser.parse_args()
    r = run(args.lines, args.agents, Path(tempfile.mkdtemp(prefix="tuidesk-contention-")))
    base, loaded = r["alone"], r["during"]
    assert isinstance(base, dict) and isinstance(loaded, dict)
    alone, during_s = r["alone_s"], r["during_s"]
    print(f"import of {args.lines:,} lines: alone {alone:.1f} s, with {args.agents} agents "
          f"{during_s:.1f} s (exit {r['import_exit']}: {str(r['import_out'])[:60]})")
    print(f"{'phase':24} {'writes':>7} {'busy':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, r in (("agents alone", base), ("agents during import", loaded)):
        print(f"{name:24} {r['writes']:>7} {r['busy']:>5} {r['p50_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f} {r['max_ms']:>8.1f}")
    print(f"longest wait ratio (during / alone): {loaded['max_ms'] / base['max_ms']:.2f}")
    return 0 if loaded["busy"] == 0 and r["import_exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
