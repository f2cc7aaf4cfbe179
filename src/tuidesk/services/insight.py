"""Provides InsightService: the supervisor's figures (dashboard and `tuidesk report`)."""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from tuidesk.errors import ConfigError
from tuidesk.models import BrandFigures, View
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.priority import SlaPolicy
from tuidesk.store import Store

_SINCE = re.compile(r"^(\d+)([hdw])$")


def parse_since(text: str, now: int) -> int | None:
    """'24h', '7d', '4w', 'all', or a date 'YYYY-MM-DD' (UTC) -> Unix seconds (None = all).

    Raises:
        ConfigError: not understood.
    """
    text = text.strip().lower()
    if text in ("all", ""):
        return None
    m = _SINCE.match(text)
    if m:
        return now - int(m.group(1)) * {"h": 3600, "d": 86400, "w": 604800}[m.group(2)]
    try:
        return int(datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    except ValueError:
        raise ConfigError(f"--since {text!r}: use 24h, 7d, 4w, all or YYYY-MM-DD") from None


@dataclass
class Window:
    label: str
    conversations: int
    answered: int
    median_s: float | None
    p90_s: float | None
    late: int
    """Answered later than the first-response target."""


@dataclass
class Oldest:
    """The conversation whose customer has waited longest in the Inbox."""

    conversation: int
    customer: str
    waiting_since: int
    waiting_s: int


@dataclass
class AgentFigures:
    agent: str
    handled: int
    median_response_s: float | None
    open: int


@dataclass
class Report:
    generated_at: int
    since: int | None
    brand: str | None
    backlog: dict[str, int]
    views: dict[str, int]
    overdue_now: int
    oldest_waiting: Oldest | None
    windows: list[Window]
    brands: list[BrandFigures]
    volume_per_hour: list[int]
    """Inbound messages per hour over the last 24 hours, oldest first."""
    sentiment: dict[str, int]
    conversions: dict[str, int]
    agents: list[AgentFigures] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class InsightService:
    def __init__(self, store: Store, agent: str, sla: SlaPolicy | None = None,
                 clock: Clock = system_clock) -> None:
        self.store = store
        self.agent = agent
        self.sla = sla or SlaPolicy()
        self.clock = clock

    def _windows(self, spans: list[tuple[str, int | None]], brand: str | None
                 ) -> list[Window]:
        """First-response figures per (label, since): one read of the index for them all."""
        figures = self.store.reports.response_times([since for _, since in spans], brand)
        return [Window(label, rt.conversations, rt.answered, rt.median_s, rt.p90_s,
                       self.store.reports.late_first_responses(since, self.sla.first_response,
                                                               brand))
                for (label, since), rt in zip(spans, figures, strict=True)]

    def report(self, since: int | None = None, brand: str | None = None,
               windows: bool = True) -> Report:
        """Every figure; `since` scopes the per-brand, sentiment, conversion, agent parts."""
        now = self.clock()
        store = self.store
        day = now - now % 86400
        spans: list[tuple[str, int | None]] = [
            ("today", day), ("7 days", now - 7 * 86400), ("30 days", now - 30 * 86400)
        ] if windows else []
        if since is None:
            spans.append(("all time", None))  # --since all
        elif brand or since not in (day, now - 7 * 86400, now - 30 * 86400):
            spans.append(("selected period", since))
        wins = self._windows(spans, brand)
        oldest = store.reports.oldest_waiting()
        agents = [AgentFigures(a.agent, a.handled, statistics.median(a.response_s)
                               if a.response_s else None, a.open)
                  for a in store.reports.per_agent(since)]
        return Report(
            generated_at=now, since=since, brand=brand, backlog=store.reports.backlog(),
            views={v.value: store.conversations.count(v.value, self.agent) for v in View},
            overdue_now=store.reports.overdue_now(now),
            oldest_waiting=None if oldest is None else Oldest(
                *oldest, waiting_s=now - oldest.waiting_since),
            windows=wins,
            brands=[b for b in store.reports.per_brand(since) if not brand or b.brand == brand],
            volume_per_hour=store.reports.volume_by_hour(now - 24 * 3600 - (now % 3600) + 3600,
                                                 now + 3600 - now % 3600),
            sentiment=store.reports.sentiment_mix(
                since), conversions=store.reports.conversions(since),
            agents=agents,
        )
