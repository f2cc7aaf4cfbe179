"""The running tallies (m020) against the rows they count: after any mix of imports that
create and extend conversations across brands, deadline changes and deletes, the tallies
equal a count from scratch, and every report figure equals the figure computed from the
raw rows (the pre-m020 queries, kept here as the oracle), for ranges that start on and
inside a day or an hour."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import NOW
from tuidesk.config import Settings
from tuidesk.models import UNKNOWN_BRAND, MessageIn
from tuidesk.services import open_services
from tuidesk.services.clock import FixedClock
from tuidesk.services.demo import seed_demo
from tuidesk.store.reports import percentiles
from tuidesk.store.tallies import _bulk

BRANDS = ("AcmeHelp", "BetaCare", "GammaSupport")
START = NOW - 9 * 86400 - 4321  # inside a day and an hour


def thread(k: int, draw: Any) -> list[MessageIn]:
    """A customer's thread: first message, maybe replies from one or two brands, maybe
    more from the customer."""
    t0 = START + draw(st.integers(0, 8 * 86400))
    brand = draw(st.sampled_from(BRANDS))
    customer = f"cust{draw(st.integers(0, 12))}"
    out = [MessageIn(network="twitter", remote_id=f"{k}00", direction="in", author=customer,
                     text="help", created_at=t0, brand=brand, customer=customer,
                     thread_key=f"th{k}", sentiment=draw(st.sampled_from(
                         [None, -0.6, -0.05, 0.0, 0.3])))]
    for j in range(draw(st.integers(0, 3))):
        out_dir = draw(st.booleans())
        who = draw(st.sampled_from(BRANDS)) if out_dir and draw(st.integers(0, 3)) == 0 \
            else brand
        out.append(MessageIn(
            network="twitter", remote_id=f"{k}{j + 1:02d}",
            direction="out" if out_dir else "in", author=who if out_dir else customer,
            text="reply" if out_dir else "again", brand=who, customer=customer,
            created_at=t0 + draw(st.integers(-600, 3 * 86400)), thread_key=f"th{k}",
            in_reply_to=f"{k}00", sentiment=None if out_dir else draw(st.sampled_from(
                [None, -0.5, 0.02, 0.6]))))
    return out


@st.composite
def workloads(draw: Any) -> tuple[list[list[MessageIn]], list[int], int]:
    messages = [m for k in range(draw(st.integers(1, 25))) for m in thread(k, draw)]
    order = draw(st.permutations(range(len(messages))))
    cut = sorted(draw(st.lists(st.integers(0, len(messages)), max_size=2)))
    bounds = [0, *cut, len(messages)]
    batches = [[messages[i] for i in order[a:b]] for a, b in zip(bounds, bounds[1:],
                                                                  strict=False)]
    sinces = [draw(st.integers(START - 86400, NOW)) for _ in range(3)]
    sinces += [s - s % 86400 for s in sinces[:1]]  # one on a day boundary
    return batches, sinces, draw(st.integers(0, 4))


def tallies_of(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table, key in (("insight_days", "day, brand_id"), ("frt_days", "day, brand_id, bucket"),
                       ("frt_all", "brand_id, bucket"), ("inbound_hours", "hour")):
        cols = "*" if table != "inbound_hours" else "hour, n, negative, neutral, positive"
        out[table] = [r for r in conn.execute(f"SELECT {cols} FROM {table} ORDER BY {key}")
                      if any(r[len(key.split(",")):])]
    return out


def rebuilt(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """The same tallies counted from scratch, in a savepoint rolled back afterwards."""
    conn.execute("SAVEPOINT rebuild")
    try:
        for table in ("insight_days", "frt_days", "frt_all", "inbound_hours"):
            conn.execute(f"DELETE FROM {table}")
        for statement in _bulk("1").split(";\n"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(
            "INSERT INTO inbound_hours SELECT created_at / 3600, count(*), "
            "sum(coalesce(sentiment < -0.05, 0)), sum(coalesce(sentiment BETWEEN -0.05 AND "
            "0.05, 0)), sum(coalesce(sentiment > 0.05, 0)) FROM messages "
            "WHERE direction = 'in' GROUP BY 1")
        return tallies_of(conn)
    finally:
        conn.execute("ROLLBACK TO rebuild")
        conn.execute("RELEASE rebuild")


# -- the oracle: the figures from every row, as the reports computed them before m020 ------

FRT = "(c.first_reply_at - c.first_inbound_at)"


def oracle(conn: sqlite3.Connection, since: int | None, targets: dict[int, int]
           ) -> dict[str, Any]:
    s = -(2 ** 62) if since is None else since
    times = [r[0] for r in conn.execute(
        f"SELECT {FRT} FROM conversations c WHERE c.first_inbound_at >= ? "
        "AND c.first_reply_at IS NOT NULL", (s,))]
    started = conn.execute("SELECT count(*) FROM conversations WHERE first_inbound_at >= ?",
                           (s,)).fetchone()[0]
    case = " ".join(f"WHEN {p} THEN {t}" for p, t in sorted(targets.items()))
    late = conn.execute(
        "SELECT count(*) FROM conversations c WHERE c.first_inbound_at >= ? AND "
        "c.first_reply_at IS NOT NULL AND c.first_reply_at > coalesce(c.first_due_at, "
        f"c.first_inbound_at + CASE c.priority {case} ELSE {targets.get(3, 14400)} END)",
        (s,)).fetchone()[0]
    several: dict[int, list[tuple[int, int | None]]] = {}
    for cid, bid, reply in conn.execute(
            "SELECT conversation_id, brand_id, first_reply_at FROM conversation_brands"):
        several.setdefault(cid, []).append((bid, reply))
    per: dict[int, tuple[list[int], list[int]]] = {}
    for cid, bid, first_in, reply in conn.execute(
            "SELECT id, brand_id, first_inbound_at, first_reply_at FROM conversations "
            "WHERE coalesce(first_inbound_at, created_at) >= ?", (s,)):
        for brand, r in several.get(cid, [(bid, reply)]):
            total, ts = per.setdefault(brand, ([0], []))
            total[0] += 1
            if r is not None and first_in is not None:
                ts.append(r - first_in)
    brands = []
    for bid, handle, network in conn.execute(
            "SELECT id, handle, network FROM brands WHERE handle != ? ORDER BY handle",
            (UNKNOWN_BRAND,)):
        if bid in per:
            total, ts = per[bid]
            brands.append((handle, network, total[0], len(ts), *percentiles(ts)))
    mix = conn.execute(
        "SELECT sum(sentiment < -0.05), sum(sentiment BETWEEN -0.05 AND 0.05), "
        "sum(sentiment > 0.05) FROM messages WHERE direction = 'in' AND created_at >= ?",
        (since or 0,)).fetchone()
    conv = conn.execute(
        "SELECT count(*), sum(c.sentiment > 0.05 AND c.inbound_count > 1) FROM conversations "
        "c WHERE c.first_inbound_at >= ? AND c.first_sentiment < -0.05", (s,)).fetchone()
    return {"window": (started, len(times), *percentiles(times)), "late": late,
            "brands": brands, "sentiment": tuple(int(v or 0) for v in mix),
            "conversions": (conv[0], int(conv[1] or 0))}


def figures(svc: Any, since: int | None, targets: dict[int, int]) -> dict[str, Any]:
    rep = svc.insight.store.reports
    rt = rep.response_times([since])[0]
    mix = rep.sentiment_mix(since)
    conv = rep.conversions(since)
    return {"window": (rt.conversations, rt.answered, rt.median_s, rt.p90_s),
            "late": rep.late_first_responses(since, targets),
            "brands": [(b.brand, b.network, b.conversations, b.answered, b.median_s, b.p90_s)
                       for b in rep.per_brand(since)],
            "sentiment": (mix["negative"], mix["neutral"], mix["positive"]),
            "conversions": (conv["started_negative"], conv["ended_positive"])}


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(workloads())
def test_tallies_and_figures_equal_a_count_of_every_row(
        work: tuple[list[list[MessageIn]], list[int], int]) -> None:
    batches, sinces, changes = work
    targets = {1: 900, 2: 3600, 3: 14400, 4: 86400}
    with tempfile.TemporaryDirectory() as tmp:
        svc = open_services(Path(tmp) / "t.db", Settings(agent="t"), FixedClock(NOW))
        try:
            for batch in batches:
                svc.ingest.ingest(batch)
            conn = svc.insight.store.db.conn
            with conn:  # deadlines moved (an SLA change) and taken away (pre-m008 rows)
                conn.execute("UPDATE conversations SET first_due_at = first_inbound_at + 60 "
                             "WHERE id % 5 = ?", (changes,))
                conn.execute("UPDATE conversations SET first_due_at = NULL WHERE id % 4 = ?",
                             (changes % 4,))
                conn.execute("UPDATE conversations SET brand_id = (SELECT min(id) FROM "
                             "brands) WHERE id % 7 = ?", (changes,))
            assert tallies_of(conn) == rebuilt(conn)
            for since in [None, *sinces]:
                assert figures(svc, since, targets) == oracle(conn, since, targets), since
            hours = svc.insight.store.reports.volume_by_hour(NOW - 9 * 86400 - 3600 * 5,
                                                             NOW + 3600)
            raw = dict(conn.execute(
                "SELECT (created_at - ?) / 3600, count(*) FROM messages WHERE direction = "
                "'in' AND created_at >= ? AND created_at < ? GROUP BY 1",
                (NOW - 9 * 86400 - 3600 * 5,) * 2 + (NOW + 3600,)).fetchall())
            assert hours == [raw.get(h, 0) for h in range(len(hours))]
            with conn:
                conn.execute("PRAGMA foreign_keys = OFF")
                conn.execute("DELETE FROM conversations WHERE id % 3 = 0")
            assert tallies_of(conn)["insight_days"] == rebuilt(conn)["insight_days"]
            assert tallies_of(conn)["frt_all"] == rebuilt(conn)["frt_all"]
        finally:
            svc.close()


def test_a_thread_several_brands_answered_moves_out_of_the_opening_brands_bucket(
        tmp_path: Path) -> None:
    """AcmeHelp's threads answered after 101-103 s, and one it opened that BetaCare
    answered first (100 s) and AcmeHelp itself after 104 s: AcmeHelp's median is over
    101, 102, 103, 104 (its own replies), never the 100 s that was BetaCare's."""
    def msg(rid: str, k: int, direction: str, at: int, brand: str = "AcmeHelp") -> MessageIn:
        return MessageIn(network="twitter", remote_id=rid, direction=direction,
                         author=brand if direction == "out" else f"c{k}", text="x",
                         created_at=START + at, brand=brand, customer=f"c{k}",
                         thread_key=f"t{k}", in_reply_to=None if direction == "in" else f"{k}0")
    batch = [msg("10", 1, "in", 0), msg("11", 1, "out", 100, "BetaCare"),
             msg("12", 1, "out", 104)]
    for k, frt in ((2, 101), (3, 102), (4, 103)):
        batch += [msg(f"{k}0", k, "in", 1000 * k), msg(f"{k}1", k, "out", 1000 * k + frt)]
    svc = open_services(tmp_path / "t.db", Settings(agent="t"), FixedClock(NOW))
    try:
        svc.ingest.ingest(batch)
        acme = {b.brand: b for b in svc.insight.store.reports.per_brand(None)}["AcmeHelp"]
        assert (acme.conversations, acme.answered, acme.median_s) == (4, 4, 102.5)
        assert oracle(svc.insight.store.db.conn, None, {3: 14400})["brands"][0][2:5] == (
            4, 4, 102.5)
    finally:
        svc.close()


def test_upgrading_a_desk_counts_what_it_holds_and_says_so_once(
        tmp_path: Path, caplog: Any) -> None:
    """m020 on a desk stored before it: the tallies start from every stored row, and the
    upgrade is announced (86 s at 10M) once, not on every open."""
    from tuidesk.store import Store

    path = tmp_path / "t.db"
    svc = open_services(path, Settings(agent="t"), FixedClock(NOW))
    seed_demo(svc.ingest, svc.for_agent, 600, 3)
    assert svc.inbox.count("all") > 50
    expected = tallies_of(svc.insight.store.db.conn)
    svc.close()
    conn = sqlite3.connect(path)
    conn.executescript(  # back to m019: what a desk of the previous version holds
        "DROP TRIGGER tallies_u; DROP TRIGGER tallies_d; DROP INDEX conv_brand_frt; "
        "DROP INDEX conv_undated; DROP TABLE insight_days; DROP TABLE frt_days; "
        "DROP TABLE frt_all; DROP TABLE inbound_hours; DROP TABLE frt_edges; "
        "DELETE FROM _sqlite_migrations WHERE name = 'm020_tallies';")
    conn.close()
    with caplog.at_level("WARNING", logger="tuidesk"):
        store = Store.open(path)
        assert tallies_of(store.db.conn) == expected
        store.close()
        assert "upgrading the database" in caplog.text
        caplog.clear()
        Store.open(path).close()
        assert caplog.text == ""

