"""Provides `tuidesk report`: the dashboard's figures as a table, JSON or CSV."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from tuidesk.cli_output import out, out_csv, out_json
from tuidesk.services import Services
from tuidesk.services.display import clean_line, rel
from tuidesk.services.insight import parse_since

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_parser(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    rp = sub.add_parser("report", parents=[common], help="response times, SLA, backlog, ...",
                        description="Figures for supervisors: backlog, first-response time "
                        "(median, p90), SLA breaches, volume, sentiment, conversions, agents.")
    rp.add_argument("--since", default="30d", help="24h, 7d, 4w, all or YYYY-MM-DD (30d)")
    rp.add_argument("--brand", help="only this brand handle")
    rp.add_argument("--format", choices=["table", "json", "csv"], default="table")


def _dur(seconds: float | None) -> str:
    return "-" if seconds is None else rel(int(seconds))


def cmd_report(args: argparse.Namespace, services: Services) -> int:
    assert services.insight is not None
    now = services.inbox.clock()
    report = services.insight.report(parse_since(args.since, now), args.brand)
    if args.format == "json":
        out_json(report.as_dict())
        return 0
    if args.format == "csv":
        rows: list[list[object]] = [["section", "name", "conversations", "answered",
                                     "median_s", "p90_s", "late"]]
        rows += [["window", w.label, w.conversations, w.answered, w.median_s, w.p90_s, w.late]
                 for w in report.windows]
        rows += [["brand", b.brand, b.conversations, b.answered, b.median_s,
                  b.p90_s, ""] for b in report.brands]
        rows += [["backlog", status, n, "", "", "", ""]
                 for status, n in sorted(report.backlog.items())]
        rows += [["agent", a.agent, a.open, a.handled, a.median_response_s, "", ""]
                 for a in report.agents]
        out_csv(rows)
        return 0
    if not report.backlog:
        out("No conversations yet: `tuidesk import FILE` or `tuidesk account add` brings "
            "some in (`tuidesk demo` shows the desk on sample data).")
        return 0
    out(f"Backlog: {', '.join(f'{k} {v}' for k, v in sorted(report.backlog.items()))}; "
          f"overdue now {report.overdue_now}")
    if report.oldest_waiting:
        o = report.oldest_waiting
        out(f"Oldest waiting: #{o.conversation} {clean_line(o.customer)}, "
              f"{_dur(o.waiting_s)}")
    out("\nFirst response      conversations  answered  median    p90  late (SLA)")
    for w in report.windows:
        out(f"  {w.label:17} {w.conversations:>13,} {w.answered:>9,} {_dur(w.median_s):>7} "
              f"{_dur(w.p90_s):>6} {w.late:>5}")
    out("\nPer brand           conversations  answered  median    p90")
    for b in report.brands:
        out(f"  {clean_line(b.brand)[:17]:17} {b.conversations:>13,} "
              f"{b.answered:>9,} {_dur(b.median_s):>7} {_dur(b.p90_s):>6}")
    if not report.brands:
        out("  (no brand has conversations in this period)")
    s, c = report.sentiment, report.conversions
    out(f"\nSentiment (inbound): negative {s['negative']}, neutral {s['neutral']}, "
          f"positive {s['positive']}")
    out(f"Conversions: {c['ended_positive']} of {c['started_negative']} conversations that "
          "started negative ended positive")
    out(f"Volume, last 24 h (per hour): {' '.join(str(n) for n in report.volume_per_hour)}")
    if report.agents:
        out("\nAgent        handled  median response  open")
        for a in report.agents:
            out(f"  {clean_line(a.agent)[:10]:10} {a.handled:>7} "
                  f"{_dur(a.median_response_s):>16} {a.open:>5}")
    return 0
