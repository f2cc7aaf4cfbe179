"""Reports: figures checked against numbers computed independently from the raw CSV."""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

import pytest

from support import NOW, shared_file
from tuidesk.cli import main
from tuidesk.config import Settings
from tuidesk.services import Services, open_services
from tuidesk.services.insight import parse_since


def test_report_since_all_has_an_all_time_window(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """2017 data shows nothing in today/7d/30d: `--since all` adds the all-time window."""
    db = str(tmp_path / "r.db")
    main(["import", str(shared_file("twcs_head5000_pandas.csv")), "--db", db, "--quiet"])
    capsys.readouterr()
    assert main(["report", "--db", db, "--since", "all"]) == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if x.strip().startswith("all time"))
    assert line.split()[2:4] == ["1,311", "1,311"]
    assert main(["report", "--db", db, "--since", "all", "--format", "json"]) == 0
    windows = json.loads(capsys.readouterr().out)["windows"]
    assert [w["label"] for w in windows] == ["today", "7 days", "30 days", "all time"]
    assert (windows[-1]["median_s"], windows[-1]["p90_s"]) == (813, 32906)


def test_report_on_an_empty_database_reads_well(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "empty.db"
    services = open_services(str(db), Settings(agent="t"))
    services.close()
    assert main(["report", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("No conversations yet: `tuidesk import FILE`")
    assert "Backlog: ;" not in text


def test_report_cli_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "r.db")
    main(["import", str(shared_file("twcs_kaggle_sample93.csv")), "--db", db, "--quiet"])
    capsys.readouterr()
    assert main(["report", "--db", db, "--since", "all", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"backlog", "windows", "brands", "sentiment", "conversions", "agents"} <= set(data)
    assert main(["report", "--db", db, "--since", "all", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:2] == ["section", "name"] and any(r[0] == "brand" for r in rows)
    assert main(["report", "--db", db, "--since", "all", "--brand", "AppleSupport"]) == 0
    out = capsys.readouterr().out
    assert "AppleSupport" in out and "AmazonHelp" not in out
    assert main(["report", "--db", db, "--since", "soon"]) == 3


def test_parse_since() -> None:
    assert parse_since("7d", NOW) == NOW - 7 * 86400
    assert parse_since("all", NOW) is None
    assert parse_since("2026-11-01", NOW) == 1_793_491_200


def test_dashboard_figures_on_demo(demo_services: Services) -> None:
    """Every figure the dashboard shows, against direct computations on the same data."""
    svc = demo_services
    r = svc.insight.report(since=None)
    rows = svc.inbox.page("all", None, 100_000)
    # Backlog per queue bucket: the views without an agent filter, the Inbox the rest.
    others = {b: svc.inbox.count(b) for b in ("pending", "escalated", "snoozed", "resolved")}
    expected = others | {"inbox": len(rows) - sum(others.values())}
    assert r.backlog == {b: n for b, n in expected.items() if n}
    assert r.views["inbox"] == svc.inbox.count("inbox")
    now = svc.inbox.clock()
    assert r.overdue_now == sum(1 for x in rows if x.status in ("new", "open")
                                and x.due_at is not None and x.due_at < now)
    waiting = [svc.inbox.conversation(x.id) for x in svc.inbox.page("inbox", None, 100_000)]
    assert r.oldest_waiting is not None
    convs = [svc.inbox.conversation(x.id) for x in rows]
    msgs = [m for c in convs for m in c.messages]
    start = now - now % 3600 - 23 * 3600  # the 24 hours ending with the current hour
    hours = [0] * 24
    for m in msgs:
        if m.direction == "in" and start <= m.created_at < start + 24 * 3600:
            hours[(m.created_at - start) // 3600] += 1
    assert r.volume_per_hour == hours
    ins = [m for m in msgs if m.direction == "in"]
    assert r.sentiment == {"negative": sum(m.sentiment < -0.05 for m in ins),
                           "neutral": sum(-0.05 <= m.sentiment <= 0.05 for m in ins),
                           "positive": sum(m.sentiment > 0.05 for m in ins)}
    started_neg = [c for c in convs if [m for m in c.messages if m.direction == "in"]
                   and [m for m in c.messages if m.direction == "in"][0].sentiment < -0.05]
    assert r.conversions["started_negative"] == len(started_neg)
    assert r.conversions["ended_positive"] == sum(
        1 for c in started_neg if len([m for m in c.messages if m.direction == "in"]) > 1
        and c.sentiment > 0.05)
    month = [w for w in r.windows if w.label == "30 days"][0]
    frts = []
    for c in convs:
        ins_t = [m.created_at for m in c.messages if m.direction == "in"]
        if not ins_t or min(ins_t) < now - 30 * 86400:
            continue
        outs = [m.created_at for m in c.messages if m.direction == "out"
                and m.created_at >= min(ins_t)]
        if outs:
            frts.append(min(outs) - min(ins_t))
    assert month.answered == len(frts)
    assert month.median_s == pytest.approx(statistics.median(frts))
    assert waiting  # the inbox is not empty in the demo
