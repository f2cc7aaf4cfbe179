"""Provides priority scores that explain themselves, SLA due times and queue placement."""

from __future__ import annotations

from dataclasses import dataclass, field

from tuidesk.models import BUCKET, SEVERITY_NAMES, DerivedState, Placement, StateInputs

#: Sort key for conversations without a due time: after every real time.
NO_DUE = 2**62


@dataclass(frozen=True)
class SlaPolicy:
    """Response targets in seconds, by priority (1 urgent .. 4 low), optionally counted in
    business hours only."""

    business_hours: tuple[int, int] | None = None
    """(start, end) minute of the day; None: the clock always runs."""
    business_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    timezone: str = "UTC"

    def add(self, start: int, seconds: int) -> int:
        """`start` plus `seconds` of SLA time (only business time counts, if configured)."""
        if self.business_hours is None:
            return start + seconds
        from datetime import datetime, timedelta
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(self.timezone)
        t = datetime.fromtimestamp(start, tz)
        left = seconds
        open_min, close_min = self.business_hours
        for _ in range(3660):  # at most ten years of days: a bad config cannot loop forever
            day0 = t.replace(hour=0, minute=0, second=0, microsecond=0)
            opens, closes = (day0 + timedelta(minutes=open_min),
                             day0 + timedelta(minutes=close_min))
            if t.weekday() in self.business_days and t < closes:
                t = max(t, opens)
                room = (closes - t).total_seconds()
                if left <= room:
                    return int((t + timedelta(seconds=left)).timestamp())
                left -= int(room)
            t = day0 + timedelta(days=1)
        return start + seconds

    first_response: dict[int, int] = field(
        default_factory=lambda: {1: 30 * 60, 2: 60 * 60, 3: 4 * 3600, 4: 24 * 3600})
    """Time allowed for the first answer to a new conversation."""
    next_response: dict[int, int] = field(
        default_factory=lambda: {1: 60 * 60, 2: 2 * 3600, 3: 8 * 3600, 4: 48 * 3600})
    """Time allowed to answer a customer who wrote again after our reply."""


def human_count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1000:
        return f"{n / 1000:.1f}k".replace(".0k", "k")
    return str(n)


def score(
    sentiment: float | None, followers: int | None, vip: bool, repeat: int,
    keyword: str | None = None, keyword_severity: int = 0,
) -> tuple[int, str]:
    """Priority (1 urgent .. 4 low) and the reasons that made it, for the detail pane."""
    points = 0
    reasons: list[str] = []
    if keyword and keyword_severity:
        points += keyword_severity
        level = SEVERITY_NAMES.get(keyword_severity, "?")
        reasons.append(f"keyword rule {keyword} ({level}) +{keyword_severity}")
    if sentiment is not None:
        if sentiment <= -0.5:
            points += 3
            reasons.append(f"negative sentiment ({sentiment:+.2f}) +3")
        elif sentiment <= -0.05:
            points += 1
            reasons.append(f"slightly negative ({sentiment:+.2f}) +1")
        elif sentiment >= 0.5:
            points -= 1
            reasons.append(f"positive sentiment ({sentiment:+.2f}) -1")
    if followers:
        if followers >= 100_000:
            points += 3
            reasons.append(f"{human_count(followers)} followers +3")
        elif followers >= 10_000:
            points += 2
            reasons.append(f"{human_count(followers)} followers +2")
        elif followers >= 1_000:
            points += 1
            reasons.append(f"{human_count(followers)} followers +1")
    if vip:
        points += 3
        reasons.append("VIP customer +3")
    if repeat >= 3:
        points += 1
        reasons.append(f"repeat contact ({repeat} conversations) +1")
    if points >= 5:
        prio = 1
    elif points >= 3:
        prio = 2
    elif points >= 0:
        prio = 3
    else:
        prio = 4
    return prio, "; ".join(reasons) or "no signals"


def place(status: str, inputs: StateInputs, priority: int, sla: SlaPolicy) -> Placement:
    """Bucket, sort key and due time of a conversation in `status`."""
    due = None
    if status in ("new", "open", "escalated") and inputs.waiting_since is not None:
        table = sla.first_response if inputs.first_response_at is None else sla.next_response
        due = sla.add(int(inputs.waiting_since), table.get(priority, table[3]))
    if status == "snoozed":
        sort_key = int(inputs.snoozed_until or NO_DUE)
    elif status == "pending":
        sort_key = int(inputs.last_at or 0)
    elif status == "resolved":
        sort_key = -int(inputs.resolved_at or inputs.last_at or 0)
    else:
        sort_key = due if due is not None else NO_DUE
    return Placement(BUCKET[status], sort_key, due)


def derive_after_messages(inputs: StateInputs, sla: SlaPolicy) -> DerivedState:
    """New state of a conversation after messages were added to it (import or sync)."""
    status = inputs.status
    last_in, last_out = inputs.last_inbound_at, inputs.last_out
    resolved_at = inputs.resolved_at
    customer_waiting = last_in is not None and (last_out is None or last_in > last_out)
    if status == "resolved":
        if last_in is not None and customer_waiting and resolved_at is not None \
                and last_in > resolved_at:
            status, resolved_at = "open", None  # the customer wrote again: reopen
    elif status in ("new", "open", "pending"):
        if last_out is None:
            status = "new" if last_in is not None else "pending"
        else:
            status = "open" if customer_waiting else "pending"
    prio, reasons = score(inputs.sentiment, inputs.followers, bool(inputs.vip),
                          int(inputs.repeat or 0), inputs.keyword,
                          int(inputs.keyword_severity or 0))
    first_in = inputs.first_inbound_at
    first_due = None if first_in is None else sla.add(
        int(first_in), sla.first_response.get(prio, sla.first_response[3]))
    where = place(status, inputs, prio, sla)
    return DerivedState(inputs.id, status, where.bucket, where.sort_key, prio, reasons,
                        where.due_at, resolved_at, first_due)
