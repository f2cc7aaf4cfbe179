"""Reports: figures checked against numbers computed independently from the raw CSV."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from support import NOW, shared_file, union_find
from tuidesk.cli import main
from tuidesk.services import Services
from tuidesk.services.insight import parse_since


def csv_first_response_by_brand(path: Path) -> dict[str, list[int]]:
    """Per brand, the first-response time of each answered conversation, from the CSV alone.

    Conversation = connected component of in_response_to links; its first response = the
    first brand tweet at or after the customer's first tweet; its brand = the author of its
    earliest brand tweet.
    """
    raw = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", " ")
    parent, find = union_find()

    tweets = []
    for row in csv.DictReader(io.StringIO(raw)):
        tid = str(int(float(row["tweet_id"])))
        when = int(datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y")
                   .timestamp())
        tweets.append((tid, row["author_id"], row["inbound"] == "True", when))
        find(tid)
        if row["in_response_to_tweet_id"]:
            parent[find(tid)] = find(str(int(float(row["in_response_to_tweet_id"]))))
    threads: dict[str, list[tuple[str, str, bool, int]]] = defaultdict(list)
    for t in tweets:
        threads[find(t[0])].append(t)
    out: dict[str, list[int]] = defaultdict(list)
    for items in threads.values():
        ins = [t[3] for t in items if t[2]]
        outs = sorted((t[3], t[0], t[1]) for t in items if not t[2])
        if not ins or not outs:
            continue
        replies = [when for when, _, _ in outs if when >= min(ins)]
        if replies:
            out[outs[0][2]].append(min(replies) - min(ins))
    return out


def test_report_per_brand_matches_the_csv(services: Services) -> None:
    path = shared_file("twcs_head5000_pandas.csv")
    services.ingest.import_file(str(path))
    expected = csv_first_response_by_brand(path)
    report = services.insight.report(since=None)
    got = {b.brand: b for b in report.brands}
    assert {b for b, v in got.items() if v.answered} == set(expected)
    for brand, times in expected.items():
        assert got[brand].answered == len(times), brand
        assert got[brand].median_s == pytest.approx(statistics.median(times)), brand
        p90 = sorted(times)[max(0, -(-9 * len(times) // 10) - 1)]
        assert got[brand].p90_s == p90, brand


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
    assert r.backlog == {s: sum(1 for x in rows if x.status == s) for s in {x.status
                                                                            for x in rows}}
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
