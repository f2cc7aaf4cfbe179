"""Reports: response times, backlog and volume, read from indexes."""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from tuidesk.models import UNKNOWN_BRAND, AgentActivity, BrandFigures, OldestWaiting, ResponseTimes
from tuidesk.store.base import Repository
from tuidesk.store.tallies import COUNTS, DAY, FLOOR, HOUR

#: First response time of a conversation: from the customer's first message to our first
#: reply after it (brand-initiated threads and unanswered ones have none).
FRT = "(c.first_reply_at - c.first_inbound_at)"


def percentiles(values: list[int]) -> tuple[float | None, float | None]:
    """(median, p90 by nearest rank); a median of an even count averages the middle two."""
    if not values:
        return None, None
    xs = sorted(values)
    n = len(xs)
    median = float(xs[n // 2]) if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
    return median, float(xs[max(0, -(-9 * n // 10) - 1)])


def _split(since: int | None, unit: int) -> tuple[int | None, int | None]:
    """(first whole unit counted from the tallies, end of the part before it read row by
    row): `since` inside a day (or hour) counts that day's rest from the rows."""
    if since is None:
        return None, None
    whole = -(-since // unit)
    return whole, (whole * unit if since % unit else None)


class Reports(Repository):
    """Report figures over a time range and an optional brand, from the running tallies
    (m020, tallies.py) plus, for a range that starts inside a day, that day's rows."""

    def _brand_ids(self, brand: str | None) -> list[int] | None:
        if not brand:
            return None
        return [int(r[0]) for r in self._q("SELECT id FROM brands WHERE handle = ?", (brand,))]

    def _edge_list(self) -> list[int]:
        if not hasattr(self, "_edges"):
            self._edges = [int(r[0]) for r in self._q("SELECT lo FROM frt_edges ORDER BY lo")]
        return self._edges

    def _bucket(self, value: int) -> int:
        edges = self._edge_list()
        return edges[bisect_right(edges, value) - 1]

    def _rows(self, since: int, until: int) -> list[tuple[Any, ...]]:
        """Conversations dated (first inbound, else start) in [since, until), row by row:
        (id, first in, first reply, brand, first due, priority)."""
        return self._q(
            "SELECT c.id, c.first_inbound_at, c.first_reply_at, coalesce(c.brand_id, 0), "
            "c.first_due_at, c.priority FROM conversations c INDEXED BY conv_insight "
            "WHERE c.first_inbound_at >= ? AND c.first_inbound_at < ? UNION ALL "
            "SELECT c.id, NULL, c.first_reply_at, coalesce(c.brand_id, 0), c.first_due_at, "
            "c.priority FROM conversations c INDEXED BY conv_insight "
            "WHERE c.first_inbound_at IS NULL AND c.created_at >= ? AND c.created_at < ?",
            (since, until, since, until))

    def _window(self, since: int | None, brands: list[int] | None, buckets: bool = True
                ) -> tuple[dict[str, int], dict[int, dict[int, int]], list[tuple[Any, ...]]]:
        """Tallied counts, {brand: {bucket: answered}} (only if `buckets`: the late and
        conversion counts need none) and the rows of a partial first day, for conversations
        dated since `since`."""
        whole, edge = _split(since, DAY)
        where, params = ["1"], []
        if whole is not None:
            where.append("day >= ?")
            params.append(whole)
        if brands is not None:
            where.append(f"brand_id IN ({','.join('?' * len(brands))})")
            params += brands
        cond = " AND ".join(where)
        sums = ", ".join(f"coalesce(sum({c}), 0)" for c in COUNTS)
        counts = dict(zip(COUNTS, (int(v) for v in self._q(
            f"SELECT {sums} FROM insight_days WHERE {cond}", params)[0]), strict=True))
        table = "frt_all" if whole is None else "frt_days"
        hist: dict[int, dict[int, int]] = {}
        for bid, bucket, n in self._q(
                f"SELECT brand_id, bucket, sum(n) FROM {table} WHERE {cond} "
                "GROUP BY 1, 2 HAVING sum(n) > 0", params) if buckets else ():
            hist.setdefault(int(bid), {})[int(bucket)] = int(n)
        rows = []
        if since is not None and edge is not None:
            rows = [r for r in self._rows(since, edge) if brands is None or r[3] in brands]
        for _, first_in, reply, bid, _, _ in rows:
            counts["conversations"] += 1
            if first_in is not None:
                counts["started"] += 1
                if reply is not None:
                    counts["answered"] += 1
                    b = hist.setdefault(int(bid), {})
                    bucket = self._bucket(int(reply) - int(first_in))
                    b[bucket] = b.get(bucket, 0) + 1
        return counts, hist, rows

    def _bucket_values(self, brand: int, lo: int, since: int | None) -> list[int]:
        """Every first response of `brand` in the bucket starting at `lo`, since `since`
        (index conv_brand_frt: one bucket, about 2% of the range of values)."""
        edges = self._edge_list()
        i = bisect_right(edges, lo)
        hi = edges[i] if i < len(edges) else 2 ** 62
        return [int(r[0]) for r in self._q(
            f"SELECT {FRT} FROM conversations c INDEXED BY conv_brand_frt "
            "WHERE c.first_reply_at IS NOT NULL AND c.first_inbound_at IS NOT NULL "
            f"AND c.brand_id = ? AND {FRT} >= ? AND {FRT} < ? AND c.first_inbound_at >= ?",
            (brand, lo, hi, FLOOR if since is None else since))]

    def _exact(self, hist: dict[int, dict[int, int]], since: int | None,
               fix: dict[int, tuple[list[int], list[int]]] | None = None
               ) -> tuple[float | None, float | None]:
        """(median, p90) of the values counted in `hist` ({brand: {bucket: n}}), read
        exactly from the one or two buckets that hold them; `fix` takes values out of and
        puts values into a brand's buckets (threads several brands answered)."""
        merged: dict[int, int] = {}
        for buckets in hist.values():
            for bucket, n in buckets.items():
                merged[bucket] = merged.get(bucket, 0) + n
        n = sum(merged.values())
        if n <= 0:
            return None, None
        found: dict[int, list[int]] = {}

        def at(rank: int) -> int:
            below = 0
            for bucket in sorted(merged):
                if rank < below + merged[bucket]:
                    if bucket not in found:
                        values = []
                        for bid, buckets in hist.items():
                            if buckets.get(bucket, 0) > 0 or (fix and bid in fix):
                                values += self._bucket_values(bid, bucket, since)
                                if fix and bid in fix:
                                    gone, added = fix[bid]
                                    for v in gone:
                                        if self._bucket(v) == bucket:
                                            values.remove(v)
                                    values += [v for v in added if self._bucket(v) == bucket]
                        found[bucket] = sorted(values)
                    return found[bucket][rank - below]
                below += merged[bucket]
            raise AssertionError("rank beyond the counts")

        median = float(at(n // 2)) if n % 2 else (at(n // 2 - 1) + at(n // 2)) / 2
        return median, float(at(max(0, -(-9 * n // 10) - 1)))

    def response_times(self, sinces: list[int | None], brand: str | None = None
                       ) -> list[ResponseTimes]:
        """First-response figures of the conversations customers started since each of
        `sinces` (None: all time), from the tallies; medians and p90s exact."""
        brands = self._brand_ids(brand)
        out = []
        for since in sinces:
            counts, hist, _ = self._window(since, brands)
            median, p90 = self._exact(hist, since)
            out.append(ResponseTimes(counts["started"], counts["answered"], median, p90))
        return out

    def per_brand(self, since: int | None) -> list[BrandFigures]:
        """Each brand's conversations (its own, and those it answered in) and its own first
        responses: in a thread several brands answered (conversation_brands, m017), each
        counts from the customer's first message to its own first reply. Every conversation
        of the brand counts, also a reply whose customer message is not in the data (an
        excerpt), dated by its start. The unknown brand is not a brand.

        From the tallies, per brand, with the few threads several brands answered moved
        from the brand that opened them to each brand that answered.
        """
        _, hist, _ = self._window(since, None)
        whole, _ = _split(since, DAY)
        totals = {int(b): int(n) for b, n in self._q(
            "SELECT brand_id, sum(conversations) FROM insight_days "
            + ("WHERE day >= ? " if whole is not None else "") + "GROUP BY 1",
            [whole] if whole is not None else [])}
        if since is not None and whole is not None and since % DAY:
            for row in self._rows(since, whole * DAY):
                totals[int(row[3])] = totals.get(int(row[3]), 0) + 1
        fix: dict[int, tuple[list[int], list[int]]] = {}  # brand -> (values out, in)
        seen: set[int] = set()
        for cid, own, first_in, reply, start, bid, own_reply in self._q(
                "SELECT c.id, coalesce(c.brand_id, 0), c.first_inbound_at, c.first_reply_at, "
                "coalesce(c.first_inbound_at, c.created_at), cb.brand_id, cb.first_reply_at "
                "FROM conversation_brands cb JOIN conversations c ON c.id = cb.conversation_id"):
            if since is not None and int(start) < since:
                continue
            if cid not in seen:  # out of the tallies of the brand that opened it, once
                seen.add(cid)
                totals[own] = totals.get(own, 0) - 1
                if reply is not None and first_in is not None:
                    value = int(reply) - int(first_in)
                    self._count(hist, own, value, -1)
                    fix.setdefault(own, ([], []))[0].append(value)
            totals[int(bid)] = totals.get(int(bid), 0) + 1  # into each answering brand's
            if own_reply is not None and first_in is not None:
                value = int(own_reply) - int(first_in)
                self._count(hist, int(bid), value, 1)
                fix.setdefault(int(bid), ([], []))[1].append(value)
        out = []
        for bid, handle, network in self._q(
                "SELECT id, handle, network FROM brands WHERE handle != ? ORDER BY handle",
                (UNKNOWN_BRAND,)):
            if totals.get(int(bid), 0) > 0:
                mine = {int(bid): hist.get(int(bid), {})}
                median, p90 = self._exact(mine, since, fix)
                answered = sum(mine[int(bid)].values())
                out.append(BrandFigures(handle, network, totals[int(bid)], answered, median,
                                        p90))
        return out

    def _count(self, hist: dict[int, dict[int, int]], brand: int, value: int, d: int) -> None:
        buckets = hist.setdefault(brand, {})
        bucket = self._bucket(value)
        buckets[bucket] = buckets.get(bucket, 0) + d

    def backlog(self) -> dict[str, int]:
        """Conversations per queue bucket (inbox, waiting, escalated, snoozed, resolved),
        from the view_counts the triggers keep: it counted every row by status (2.9 s at
        1M with a cold cache)."""
        return {str(b): int(n) for b, n in self._q(
            "SELECT bucket, sum(n) FROM view_counts GROUP BY bucket HAVING sum(n) > 0")}

    def oldest_waiting(self) -> OldestWaiting | None:
        rows = self._q(
            "SELECT c.id, coalesce(cu.handle, ''), c.waiting_since "
            "FROM conversations c INDEXED BY conv_waiting "
            "LEFT JOIN customers cu ON cu.id = c.customer_id "
            "WHERE c.bucket = 'inbox' AND c.waiting_since IS NOT NULL "
            "ORDER BY c.waiting_since LIMIT 1")
        return OldestWaiting(int(rows[0][0]), str(rows[0][1]), int(rows[0][2])) if rows else None

    def overdue_now(self, now: int) -> int:
        return int(self._one("SELECT count(*) FROM conversations c WHERE c.bucket = 'inbox' "
                             "AND c.sort_key < ?", (now,)))

    def late_first_responses(self, since: int | None, targets: dict[int, int],
                             brand: str | None = None) -> int:
        """Conversations answered after their first-response deadline: first_due_at, set by
        the SLA policy (business hours included); for rows from before m008, the wall-clock
        target of their priority (judged here, from the few such rows: conv_undated)."""
        brands = self._brand_ids(brand)
        counts, _, rows = self._window(since, brands, buckets=False)

        def late(first_in: int, reply: int, due: int | None, priority: int) -> bool:
            target = targets.get(int(priority), targets.get(3, 14400))
            return reply > (due if due is not None else first_in + target)

        total = counts["late"]
        for _, first_in, reply, _, due, priority in rows:  # the partial first day
            if first_in is not None and reply is not None:
                total += late(int(first_in), int(reply), due, priority)
        whole, _ = _split(since, DAY)
        if counts["undated"]:
            for first_in, reply, priority, bid in self._q(
                    "SELECT first_inbound_at, first_reply_at, priority, coalesce(brand_id, 0) "
                    "FROM conversations INDEXED BY conv_undated WHERE first_due_at IS NULL "
                    "AND first_reply_at IS NOT NULL AND first_inbound_at >= ?",
                    ((whole or 0) * DAY if whole is not None else FLOOR,)):
                if brands is None or bid in brands:
                    total += late(int(first_in), int(reply), None, priority)
        return total

    def _inbound(self, since: int | None, until: int | None) -> list[tuple[int, ...]]:
        """(hour, n, negative, neutral, positive) of inbound messages in [since, until):
        whole hours from inbound_hours, the edges of the range from the messages."""
        lo, lo_edge = _split(since, HOUR)
        hi = None if until is None else until // HOUR
        rows = [tuple(int(v) for v in r) for r in self._q(
            "SELECT hour, n, negative, neutral, positive FROM inbound_hours "
            "WHERE hour >= ? AND hour < ?", (FLOOR if lo is None else lo,
                                             2 ** 62 if hi is None else hi))]
        edges = []
        if since is not None and lo_edge is not None:
            edges.append((since, lo_edge if until is None else min(lo_edge, until)))
        if until is not None and until % HOUR and (since is None or until // HOUR * HOUR > since):
            edges.append((max(until // HOUR * HOUR, since or FLOOR), until))
        for a, b in edges:
            if a < b:
                rows += [tuple(int(v or 0) for v in r) for r in self._q(
                    "SELECT created_at / ?, count(*), sum(sentiment < -0.05), "
                    "sum(sentiment BETWEEN -0.05 AND 0.05), sum(sentiment > 0.05) "
                    "FROM messages WHERE direction = 'in' AND created_at >= ? "
                    "AND created_at < ? GROUP BY 1", (HOUR, a, b))]
        return rows

    def volume_by_hour(self, since: int, until: int) -> list[int]:
        """Inbound messages per hour from `since` to `until` (counted hours from since)."""
        counts = [0] * ((until - since + 3599) // 3600)
        if since % HOUR:  # not on the hour: each message's own offset
            for offset, n in self._q(
                    "SELECT (created_at - ?) / 3600, count(*) FROM messages WHERE "
                    "direction = 'in' AND created_at >= ? AND created_at < ? GROUP BY 1",
                    (since, since, until)):
                counts[int(offset)] = int(n)
            return counts
        for hour, n, *_ in self._inbound(since, until):
            counts[hour - since // HOUR] += n
        return counts

    def sentiment_mix(self, since: int | None) -> dict[str, int]:
        rows = self._inbound(since or 0, None)
        return {"negative": sum(r[2] for r in rows), "neutral": sum(r[3] for r in rows),
                "positive": sum(r[4] for r in rows)}

    def conversions(self, since: int | None) -> dict[str, int]:
        """Conversations that started negative, and those of them that ended positive."""
        counts, _, _ = self._window(since, None, buckets=False)
        negative, converted = counts["negative"], counts["converted"]
        whole, edge = _split(since, DAY)
        if since is not None and edge is not None:  # the partial first day, from its rows
            row = self._q(
                "SELECT count(*), sum(c.sentiment > 0.05 AND c.inbound_count > 1) "
                "FROM conversations c INDEXED BY conv_negative WHERE c.first_sentiment < -0.05 "
                "AND c.first_inbound_at >= ? AND c.first_inbound_at < ?", (since, edge))[0]
            negative, converted = negative + int(row[0] or 0), converted + int(row[1] or 0)
        return {"started_negative": negative, "ended_positive": converted}

    def per_agent(self, since: int | None) -> list[AgentActivity]:
        """Replies per agent, each one's response times (raw, for a median) and open load.

        `+m.direction` keeps the lookup on the conversation's own messages (msg_conv);
        SQLite chose msg_dir_time and read every inbound message per reply (46 s at 1M)."""
        rows = self._q(
            """
            SELECT o.agent, o.created_at - (
                SELECT max(m.created_at) FROM messages m
                WHERE m.conversation_id = o.conversation_id AND +m.direction = 'in'
                  AND m.created_at <= o.created_at)
            FROM outbox o WHERE o.created_at >= ? AND o.state != 'cancelled'
            """, (since or 0,))
        by_agent: dict[str, list[int]] = {}
        for agent, delay in rows:
            by_agent.setdefault(str(agent), [])
            if delay is not None:
                by_agent[str(agent)].append(int(delay))
        open_load = dict(self._q(
            "SELECT assignee, sum(n) FROM view_counts WHERE assignee != '' "
            "AND bucket != 'resolved' GROUP BY assignee HAVING sum(n) > 0"))
        agents = sorted(set(by_agent) | set(open_load))
        return [AgentActivity(a, len(by_agent.get(a, [])), tuple(sorted(by_agent.get(a, []))),
                              int(open_load.get(a, 0))) for a in agents]
