"""The supervisor's figures at scale: `tuidesk report` and the dashboard, against a baseline
checkout measured in the same run.

    python benchmarks/insight.py --db DB [--src BASELINE/src --label L] [--size 120x40]

For each run: `tuidesk report` (last 30 days, and --since all) as a new process, wall time
including start-up; then the app in a pseudo-terminal: `D` -> the first byte of the answer,
`D` -> the figures drawn ("First response" on the terminal), and, while the figures are
being read, `Esc` -> the first byte of the queue coming back (a key the dashboard must not
hold). The database is copied first, so a baseline's schema steps never touch the original.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pty_bytes import Pty  # noqa: E402


def _env(db: str, src: str | None) -> dict[str, str]:
    env = os.environ | {"TUIDESK_DB": db, "HOME": tempfile.mkdtemp()}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    if src:
        env["PYTHONPATH"] = src
    return env


def report_seconds(db: str, src: str | None, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tuidesk", "--db", db, "report", *extra],
                   env=_env(db, src), check=True, capture_output=True)
    return time.perf_counter() - start


def until(t: Pty, needle: bytes, limit: float) -> float | None:
    """Seconds until `needle` has been written (None: not within `limit`)."""
    seen = b""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        seen += t.read_for(0.01)
        if needle in seen:
            return time.perf_counter() - start
    return None


def dashboard(db: str, src: str | None, size: tuple[int, int]) -> dict[str, float | None]:
    t = Pty([sys.executable, "-m", "tuidesk", "--db", db], size, _env(db, src))
    try:
        first = b""
        while len(first) < 2048:
            first += t.quiet(1.0)
        painted = t.first_byte_after(b"D", limit=120)
        drawn = until(t, b"First response", 300)
        t.quiet(0.5)
        t.key(b"\x1b")  # back to the queue
        t.quiet(0.5)
        # Esc while the figures are being read: how long the key waits.
        t.key(b"D")
        time.sleep(0.05)
        esc = t.first_byte_after(b"\x1b", limit=300)
        return {"painted": painted, "drawn": drawn, "esc": esc}
    finally:
        t.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--src", help="another checkout's src/ (the baseline)")
    parser.add_argument("--label", default="")
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    db = str(work / "insight.db")
    shutil.copy(args.db, db)
    cols, rows = (int(x) for x in args.size.split("x"))
    # The first open applies any schema steps: not part of what is measured.
    subprocess.run([sys.executable, "-m", "tuidesk", "--db", db, "list", "--limit", "1"],
                   env=_env(db, args.src), check=True, capture_output=True)
    month = report_seconds(db, args.src)
    ever = report_seconds(db, args.src, "--since", "all")
    d = dashboard(db, args.src, (cols, rows))

    def s(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f} s"

    print(f"| {args.label} | {s(month)} | {s(ever)} | {s(d['painted'])} | {s(d['drawn'])} | "
          f"{s(d['esc'])} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
