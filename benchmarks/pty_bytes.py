"""Bytes a real tuidesk writes to its terminal per key, in a pseudo-terminal (what goes over
SSH), and key-to-frame latency.

    python benchmarks/pty_bytes.py [--db PATH] [--sizes 80x24,120x40] [--repeat 20] [--runs 3]
                                   [--cold]

Starts `tuidesk --db PATH` (default: a fresh 2,000-message demo database) in a pty, waits
until the first screen is drawn and the terminal is quiet, then for each size:
  * a single `j`, then rest: every byte written within 0.4 s;
  * ten `j` 30 ms apart, then rest: the total;
  * `repeat` single keys (j/k, page down/up, 2/1 view switch, Enter to open a row, Enter
    on a typed search `outage`): key byte written -> first output byte (for the search:
    the frame with its results, not the field's blinking cursor), p50/p99 over the
    latencies of `runs` processes (one process's figures move with where it was placed);
    again without each process's first press of each key, and those first presses.
  * `--cold` empties the OS page cache before each process (root): what an agent meets
    when the database file has not been read for a while, or is larger than the RAM.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Pty:
    def __init__(self, argv: list[str], size: tuple[int, int], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = env | {"TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     close_fds=True, start_new_session=True)
        os.close(slave)

    def read_for(self, seconds: float) -> bytes:
        out = bytearray()
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    out.extend(os.read(self.master, 65536))
                except OSError:
                    break
        return bytes(out)

    def quiet(self, gap: float = 0.6, limit: float = 30) -> bytes:
        """Read until nothing arrives for `gap` seconds."""
        out = bytearray()
        end = time.monotonic() + limit
        while time.monotonic() < end:
            chunk = self.read_for(gap)
            if not chunk:
                break
            out.extend(chunk)
        return bytes(out)

    def key(self, data: bytes) -> None:
        os.write(self.master, data)

    def first_byte_after(self, data: bytes, limit: float = 2.0) -> float | None:
        start = time.perf_counter()
        os.write(self.master, data)
        ready, _, _ = select.select([self.master], [], [], limit)
        if not ready:
            return None
        elapsed = time.perf_counter() - start
        os.read(self.master, 65536)
        return elapsed

    def until_after(self, data: bytes, marker: bytes, limit: float = 3.0) -> float | None:
        """Key byte written -> the output holding `marker` (the frame that answers it, not
        a cursor blink in between)."""
        start = time.perf_counter()
        os.write(self.master, data)
        seen = b""
        while marker not in seen:
            left = limit - (time.perf_counter() - start)
            ready, _, _ = select.select([self.master], [], [], max(0.0, left))
            if not ready:
                return None
            seen = seen[-len(marker):] + os.read(self.master, 65536)
        return time.perf_counter() - start

    def major_faults(self) -> int:
        """The app's major page faults so far (pages it had to wait for the disk for: its
        own code and libraries as well as the database file), all threads; -1 off Linux."""
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return -1
        return int(stat.rsplit(")", 1)[1].split()[9])

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)


#: Keys timed (key byte written -> first byte of the frame): down, page down, view switch,
#: open (Enter on a row, then Esc back to the list) and search (Enter on `/outage`, typed
#: beforehand and untimed; then Esc back to the view).
KEYS = {"j": [b"j", b"k"], "page down": [b"\x1b[6~", b"\x1b[5~"], "view switch": [b"2", b"1"],
        "open": [b"\r", b"\x1b"], "search": [b"\r"]}
#: What the answering frame holds, where the first byte could be something else (the
#: search field's blinking cursor).
MARKER = {"search": b"Search"}
#: Typed (untimed) before a timed key, and after it.
BEFORE = {"search": b"/outage"}
AFTER = {"search": b"\x1b"}


#: A press slower than this is counted as a stall, with or without a major fault in it.
STALL_MS = 50.0


def measure(db: str, size: tuple[int, int], repeat: int, src: str | None = None,
            stalls: list[tuple[str, float, int]] | None = None
            ) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Bytes (first screen, one j, ten j) and each key's latencies (ms) from one process.
    Presses over STALL_MS are added to `stalls` with the app's major page faults during
    them."""
    env = os.environ | {"TUIDESK_DB": db, "HOME": tempfile.mkdtemp()}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    if src:
        env["PYTHONPATH"] = src  # another checkout's code (a baseline in the same run)
    t = Pty([sys.executable, "-m", "tuidesk", "--db", db], size, env)
    try:
        first = b""
        while len(first) < 2048:  # the first screen, however long start-up takes
            first += t.quiet(1.0)
        t.key(b"j")
        one = t.read_for(0.4)
        t.quiet()
        ten = bytearray()
        for _ in range(10):
            t.key(b"j")
            ten.extend(t.read_for(0.03))
        ten.extend(t.read_for(0.4))
        t.quiet()
        result: dict[str, float] = {"first": len(first), "one_j": len(one),
                                    "ten_j": len(ten)}
        samples: dict[str, list[float]] = {}
        for name, keys in KEYS.items():
            lat = []
            for _ in range(repeat):
                if name in BEFORE:
                    t.key(BEFORE[name])
                    t.quiet(0.3)
                for i, key in enumerate(keys):
                    faults = t.major_faults()
                    got = (t.until_after(key, MARKER[name]) if name in MARKER
                           else t.first_byte_after(key))
                    if got is not None and (i == 0 or name != "open"):  # Esc is not timed
                        lat.append(got * 1000)
                        if stalls is not None and got * 1000 > STALL_MS:
                            stalls.append((name, got * 1000, t.major_faults() - faults))
                    t.quiet(0.15)
                if name in AFTER:
                    t.key(AFTER[name])
                    t.quiet(0.3)
            samples[name] = lat
        return result, samples
    finally:
        t.close()


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p99(samples: list[float]) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def drop_page_cache() -> None:
    """Write out dirty pages and empty the OS page cache (Linux, root)."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        sys.exit(f"--cold needs root on Linux (/proc/sys/vm/drop_caches: {exc.strerror})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    parser.add_argument("--sizes", default="80x24,120x40")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--src", help="run another checkout's src/ (e.g. the baseline)")
    parser.add_argument("--label", default="")
    parser.add_argument("--cold", action="store_true",
                        help="empty the OS page cache before each process (root only): "
                        "every page the app reads first comes from disk")
    parser.add_argument("--runs", type=int, default=3,
                        help="processes per size, their latencies pooled: one process's "
                        "p50 varies by up to 3 ms from the next one's")
    args = parser.parse_args()
    db = args.db
    if db is None:
        db = str(Path(tempfile.mkdtemp()) / "bench.db")
        subprocess.run([sys.executable, "-m", "tuidesk", "demo", "--generate", "2000",
                        "--db", db], check=True, capture_output=True)
    print("| run | size | first screen | single j | ten j 30 ms apart | j p50 / p99 | "
          "page down p50 / p99 | view switch p50 / p99 | open p50 / p99 | search p50 / p99 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    stalls_by_fault: dict[str, list[tuple[str, float, int]]] = {}
    for spec in args.sizes.split(","):
        cols, rows = (int(x) for x in spec.split("x"))
        pooled: dict[str, list[float]] = {k: [] for k in KEYS}
        warm: dict[str, list[float]] = {k: [] for k in KEYS}
        first: dict[str, list[float]] = {k: [] for k in KEYS}
        r: dict[str, float] = {}
        stalls: list[tuple[str, float, int]] = []
        for _ in range(args.runs):
            if args.cold:
                drop_page_cache()
            got, samples = measure(db, (cols, rows), args.repeat, args.src, stalls)
            r = r or got  # bytes: the first process's (they do not vary)
            for k in KEYS:
                pooled[k] += samples[k]
                first[k] += samples[k][:1]
                warm[k] += samples[k][1:]
        lat = " | ".join(f"{p50(pooled[k]):.1f} / {p99(pooled[k]):.1f} ms" for k in KEYS)
        print(f"| {args.label} | {spec} | {r['first'] / 1024:.1f} KB | "
              f"{r['one_j'] / 1024:.1f} KB | {r['ten_j'] / 1024:.1f} KB | {lat} |")
        # A process's first press of a key runs code and reads pages that nothing has
        # touched for a while (the first search reads the FTS index): shown apart, so a
        # slow first use and a slow steady state are told apart, neither hidden.
        lat = " | ".join(f"{p50(warm[k]):.1f} / {p99(warm[k]):.1f} ms" for k in KEYS)
        print(f"| {args.label} after each key's first press | {spec} | | | | {lat} |")
        lat = " | ".join(", ".join(f"{x:.0f}" for x in first[k]) + " ms" for k in KEYS)
        print(f"| {args.label} first press of each key, per process | {spec} | | | | {lat} |")
        stalls_by_fault[spec] = stalls
    for spec, stalls in stalls_by_fault.items():
        # A stall the app spent waiting for pages it had been using (paged out by the OS
        # meanwhile) is told apart from one it spent computing or reading cached pages.
        print(f"\n{args.label} {spec}: {len(stalls)} presses over {STALL_MS:.0f} ms" + (
            ": " + ", ".join(f"{name} {ms:.0f} ms ({faults} major faults)"
                             for name, ms, faults in stalls) if stalls else ""))


if __name__ == "__main__":
    main()
