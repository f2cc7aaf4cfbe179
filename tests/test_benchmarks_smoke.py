"""The benchmark scripts still run (tiny sizes; no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))


def test_import_benchmark_runs(tmp_path: Path) -> None:
    from run import bench_import

    result = bench_import(300, tmp_path)
    assert result["messages"] == 300 and result["store_rows_s"] > 0 and result["ratio"] > 0


async def test_app_benchmark_runs(tmp_path: Path) -> None:
    from app_bench import measure

    from tuidesk.config import Settings
    from tuidesk.services import open_services
    from tuidesk.services.demo import seed_demo

    db = tmp_path / "b.db"
    svc = open_services(db, Settings(agent="bench"))
    seed_demo(svc.ingest, svc.for_agent, 300, 7)
    svc.close()
    result = await measure(str(db), repeats=3, rounds=2)
    assert result["rows_in_view"] > 0 and result["down_p99_ms"] > 0
    assert len(result["search_p99_rounds_ms"]) == 2  # type: ignore[arg-type]
    # The report renders from these fields (pty and RSS come from real_process).
    import argparse

    from run import render

    app = {**result, "pty_first_paint_s": 0.5, "peak_rss_mb": 50}
    text = render({"import": {}, "app": {1000: app, 2000: app}, "datatable": {},
                   "total_s": 1.0}, argparse.Namespace(size=2000, skip_load=True))
    assert "| search |" in text and "| view |" in text


def test_load_benchmark_runs(tmp_path: Path) -> None:
    from run import bench_load

    from tuidesk.config import Settings
    from tuidesk.services import open_services
    from tuidesk.services.demo import seed_demo

    db = tmp_path / "l.db"
    svc = open_services(db, Settings(agent="bench"))
    seed_demo(svc.ingest, svc.for_agent, 300, 7)
    svc.close()
    result = bench_load(db, processes=2, seconds=1.0)
    assert result["lock_errors"] == 0 and result["ops_s"] > 0


def test_import_contention_benchmark_runs(tmp_path: Path) -> None:
    from import_contention import run

    result = run(3000, 2, tmp_path)
    assert result["import_exit"] == 0 and result["during"]["busy"] == 0  # type: ignore[index]


def run_on_demo(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`script` from benchmarks/ run on a fresh 300-message demo desk (`--db` given)."""
    from tuidesk.config import Settings
    from tuidesk.services import open_services
    from tuidesk.services.demo import seed_demo

    db = tmp_path / "bench.db"
    svc = open_services(db, Settings(agent="bench"))
    seed_demo(svc.ingest, svc.for_agent, 300, 7)
    svc.close()
    return subprocess.run([sys.executable, str(BENCH / script), "--db", str(db), *args],
                          capture_output=True, text=True, timeout=300)


def test_insight_benchmark_runs(tmp_path: Path) -> None:
    done = run_on_demo(tmp_path, "insight.py", "--label", "smoke")
    assert done.returncode == 0, done.stderr
    cells = [c.strip() for c in done.stdout.strip().split("|")[1:-1]]
    assert cells[0] == "smoke" and all(c.endswith(" s") for c in cells[1:]), cells


def test_pty_benchmark_runs(tmp_path: Path) -> None:
    """`pty_bytes.py` drives a real process in a pty and prints its table and its stalls."""
    done = run_on_demo(tmp_path, "pty_bytes.py", "--sizes", "80x24", "--repeat", "2",
                       "--runs", "1", "--label", "smoke")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| smoke")]
    assert len(rows) == 3, done.stdout
    cells = [c.strip() for c in rows[0].split("|")[1:-1]]
    assert cells[1] == "80x24" and cells[2].endswith("KB") and cells[5].endswith("ms")
    assert "smoke 80x24: " in done.stdout and "presses over 50 ms" in done.stdout
