"""Reports: response times, backlog and volume, computed in SQL."""

from __future__ import annotations

from typing import Any

from tuidesk.models import UNKNOWN_BRAND, AgentActivity, BrandFigures, OldestWaiting, ResponseTimes
from tuidesk.store.base import Repository

#: First response time of a conversation: from the customer's first message to our first
#: reply after it (brand-initiated threads and unanswered ones have none).
FRT = "(c.first_reply_at - c.first_inbound_at)"


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

    def _percentiles(self, where: str, params: list[Any], frt: str = FRT,
                     source: str = "conversations c") -> tuple[int, float | None,
                                                            float | None]:
        """(count, median, p90 by nearest rank) of first response times, in SQL."""
        sql = f"SELECT {frt} AS frt FROM {source} WHERE {where} AND frt IS NOT NULL"
        n = int(self._one(f"SELECT count(*) FROM ({sql})", params))
        if n == 0:
            return 0, None, None

        def at(offset: int) -> float:
            return float(self._one(f"{sql} ORDER BY frt LIMIT 1 OFFSET ?", [*params, offset]))

        median = at(n // 2) if n % 2 else (at(n // 2 - 1) + at(n // 2)) / 2
        p90 = at(max(0, -(-9 * n // 10) - 1))
        return n, median, p90

    def response_times(self, since: int | None, until: int | None = None,
                       brand: str | None = None) -> ResponseTimes:
        where, params = self._scope(since, until, brand)
        total = int(self._one(f"SELECT count(*) FROM conversations c WHERE {where}", params))
        n, median, p90 = self._percentiles(where, params)
        return ResponseTimes(total, n, median, p90)

    def per_brand(self, since: int | None, until: int | None = None) -> list[BrandFigures]:
        """Each brand's conversations (its own, and those it answered in) and its own first
        responses: in a thread several brands answered (conversation_brands, m017), each
        counts from the customer's first message to its own first reply. Every conversation
        of the brand counts, also a reply whose customer message is not in the data (an
        excerpt), dated by its start. The unknown brand is not a brand."""
        out = []
        for bid, handle, network in self._q(
                "SELECT id, handle, network FROM brands WHERE handle != ? ORDER BY handle",
                (UNKNOWN_BRAND,)):
            when, params = "", []
            if since is not None:
                when += " AND coalesce(c.first_inbound_at, c.created_at) >= ?"
                params.append(since)
            if until is not None:
                when += " AND coalesce(c.first_inbound_at, c.created_at) < ?"
                params.append(until)
            source = f"""(
                SELECT c.first_reply_at - c.first_inbound_at AS frt FROM conversations c
                WHERE c.brand_id = ? {when} AND NOT EXISTS (
                    SELECT 1 FROM conversation_brands x WHERE x.conversation_id = c.id)
                UNION ALL
                SELECT cb.first_reply_at - c.first_inbound_at FROM conversation_brands cb
                JOIN conversations c ON c.id = cb.conversation_id
                WHERE cb.brand_id = ? {when})"""
            args = [bid, *params, bid, *params]
            total = int(self._one(f"SELECT count(*) FROM {source}", args))
            if not total:
                continue
            n, median, p90 = self._percentiles("1", args, "frt", source)
            out.append(BrandFigures(handle, network, total, n, median, p90))
        return out

    def backlog(self) -> dict[str, int]:
        return {str(s): int(n) for s, n in self._q(
            "SELECT status, count(*) FROM conversations GROUP BY status")}

    def oldest_waiting(self) -> OldestWaiting | None:
        rows = self._q(
            "SELECT c.id, coalesce(cu.handle, ''), c.waiting_since FROM conversations c "
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
            f"SELECT count(*) FROM conversations c WHERE {where} AND "
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
            f"FROM conversations c WHERE {where} AND c.first_sentiment < -0.05", params)[0]
        return {"started_negative": int(row[0] or 0), "ended_positive": int(row[1] or 0)}

    def per_agent(self, since: int | None) -> list[AgentActivity]:
        """Replies per agent, each one's response times (raw, for a median) and open load."""
        rows = self._q(
            """
            SELECT o.agent, o.created_at - (
                SELECT max(m.created_at) FROM messages m
                WHERE m.conversation_id = o.conversation_id AND m.direction = 'in'
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
