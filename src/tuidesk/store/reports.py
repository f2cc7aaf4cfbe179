"""Reports: response times, backlog and volume, read from indexes."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from tuidesk.models import UNKNOWN_BRAND, AgentActivity, BrandFigures, OldestWaiting, ResponseTimes
from tuidesk.store.base import Repository

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


class Reports(Repository):
    """Report figures computed in SQL over a time range and an optional brand."""

    @staticmethod
    def _scope(since: int | None, until: int | None, brand: str | None
               ) -> tuple[str, list[Any]]:
        where: list[str] = ["c.first_inbound_at IS NOT NULL"]
        params: list[Any] = []
        if since is not None:
            where.append("c.first_inbound_at >= ?")
            params.append(since)
        if until is not None:
            where.append("c.first_inbound_at < ?")
            params.append(until)
        if brand:
            where.append("c.brand_id IN (SELECT id FROM brands WHERE handle = ?)")
            params.append(brand)
        return " AND ".join(where), params

    def response_times(self, sinces: list[int | None], brand: str | None = None
                       ) -> list[ResponseTimes]:
        """First-response figures of the conversations customers started since each of
        `sinces` (None: all time), from one pass over the covering index conv_insight (m019)
        for the widest of them: the windows are nested, so each is a slice of it."""
        widest = None if None in sinces else min(s for s in sinces if s is not None)
        where, params = self._scope(widest, None, brand)
        rows = self._q(f"SELECT c.first_inbound_at, {FRT} FROM conversations c "
                       f"INDEXED BY conv_insight WHERE {where} ORDER BY c.first_inbound_at",
                       params)
        starts = [int(r[0]) for r in rows]
        out = []
        for since in sinces:
            part = rows[bisect_left(starts, since):] if since is not None else rows
            times = [int(r[1]) for r in part if r[1] is not None]
            median, p90 = percentiles(times)
            out.append(ResponseTimes(len(part), len(times), median, p90))
        return out

    def per_brand(self, since: int | None, until: int | None = None) -> list[BrandFigures]:
        """Each brand's conversations (its own, and those it answered in) and its own first
        responses: in a thread several brands answered (conversation_brands, m017), each
        counts from the customer's first message to its own first reply. Every conversation
        of the brand counts, also a reply whose customer message is not in the data (an
        excerpt), dated by its start. The unknown brand is not a brand.

        One pass over the covering index conv_insight (m019) for all brands: it was one
        sorted query per brand and percentile over the whole table (5 s at 1M).
        """
        several: dict[int, list[tuple[int, int | None]]] = {}
        for cid, bid, first_reply in self._q(
                "SELECT conversation_id, brand_id, first_reply_at FROM conversation_brands"):
            several.setdefault(int(cid), []).append((int(bid), first_reply))
        where, params = ["1"], []
        for op, value in ((">=", since), ("<", until)):
            if value is not None:
                where.append(f"coalesce(c.first_inbound_at, c.created_at) {op} ?")
                params.append(value)
        per: dict[int, tuple[list[int], list[int]]] = {}  # brand -> ([total], [times])
        for cid, bid, first_in, first_reply in self._q(
                "SELECT c.id, c.brand_id, c.first_inbound_at, c.first_reply_at "
                "FROM conversations c INDEXED BY conv_insight "
                f"WHERE {' AND '.join(where)}", params):
            for brand, reply in several.get(cid, [(bid, first_reply)]):
                total, times = per.setdefault(brand, ([0], []))
                total[0] += 1
                if reply is not None and first_in is not None:
                    times.append(int(reply) - int(first_in))
        out = []
        for bid, handle, network in self._q(
                "SELECT id, handle, network FROM brands WHERE handle != ? ORDER BY handle",
                (UNKNOWN_BRAND,)):
            if int(bid) in per:
                total, times = per[int(bid)]
                median, p90 = percentiles(times)
                out.append(BrandFigures(handle, network, total[0], len(times), median, p90))
        return out

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
        target of their priority."""
        where, params = self._scope(since, None, brand)
        case = " ".join(f"WHEN {p} THEN {int(s)}" for p, s in sorted(targets.items()))
        return int(self._one(
            f"SELECT count(*) FROM conversations c INDEXED BY conv_insight WHERE {where} AND "
            "c.first_reply_at IS NOT NULL AND c.first_reply_at > coalesce(c.first_due_at, "
            f"c.first_inbound_at + CASE c.priority {case} ELSE {int(targets.get(3, 14400))} "
            "END)", params))

    def volume_by_hour(self, since: int, until: int) -> list[int]:
        """Inbound messages per hour from `since` to `until` (index range scan)."""
        counts = dict(self._q(
            "SELECT (created_at - ?) / 3600, count(*) FROM messages "
            "WHERE direction = 'in' AND created_at >= ? AND created_at < ? GROUP BY 1",
            (since, since, until)))
        return [int(counts.get(h, 0)) for h in range((until - since + 3599) // 3600)]

    def sentiment_mix(self, since: int | None) -> dict[str, int]:
        row = self._q(
            "SELECT sum(sentiment < -0.05), sum(sentiment BETWEEN -0.05 AND 0.05), "
            "sum(sentiment > 0.05) FROM messages WHERE direction = 'in' AND created_at >= ?",
            (since or 0,))[0]
        return {"negative": int(row[0] or 0), "neutral": int(row[1] or 0),
                "positive": int(row[2] or 0)}

    def conversions(self, since: int | None) -> dict[str, int]:
        """Conversations that started negative, and those of them that ended positive."""
        where, params = self._scope(since, None, None)
        row = self._q(
            f"SELECT count(*), sum(c.sentiment > 0.05 AND c.inbound_count > 1) "
            f"FROM conversations c INDEXED BY conv_negative "
            f"WHERE {where} AND c.first_sentiment < -0.05", params)[0]
        return {"started_negative": int(row[0] or 0), "ended_positive": int(row[1] or 0)}

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
