"""The service layer: what the UI and CLI call. It never imports textual."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tuidesk.config import Settings
from tuidesk.models import KeywordRule
from tuidesk.services.agents import AgentService
from tuidesk.services.audit import SYSTEM
from tuidesk.services.bulk import BulkService
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.clocks import ClockService
from tuidesk.services.config_effects import apply_config
from tuidesk.services.escalation import EscalationService
from tuidesk.services.health import ChannelHealth, channel_health
from tuidesk.services.inbox import InboxService
from tuidesk.services.ingest import IngestService
from tuidesk.services.insight import InsightService, Report
from tuidesk.services.priority import SlaPolicy
from tuidesk.services.reader import Reader
from tuidesk.services.replies import ReplyService
from tuidesk.services.sync import SyncService, WebhookSender
from tuidesk.store import Store

if TYPE_CHECKING:
    # Types only: importing the connectors loads httpx (~90 ms of every start), which
    # a desk without accounts never uses.
    from tuidesk.connectors.base import Connector


@dataclass
class Services:
    """The single object the App receives."""

    inbox: InboxService
    escalations: EscalationService
    """Escalations and promises of the agent at this desk."""
    replies: ReplyService
    """Replies of the agent at this desk (the composer's and `tuidesk reply`'s workflow)."""
    ingest: IngestService
    settings: Settings
    db_path: str
    _store: Store
    clocks: ClockService
    """The desk's clocks (snoozes, follow-ups, promises, SLA breaches), run as `system`."""
    sync: SyncService | None = None
    """Present when accounts are configured: fetches mentions and delivers the outbox."""
    insight: InsightService | None = None
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _reader: Reader | None = None

    async def aclose(self) -> None:
        """Close network clients (the store stays open until close())."""
        for closer in self._closers:
            await closer()
        self._closers.clear()

    def for_agent(self, agent: str) -> InboxService:
        s = self.settings
        inbox = InboxService(self._store, agent, self.inbox.sla, self.inbox.clock,
                             s.supervisors, s.followup_days, s.escalation_targets)
        inbox.saved_views = self.inbox.saved_views
        return inbox

    @property
    def bulk(self) -> BulkService:
        """One action on many conversations as one undo step (marks, `:` commands)."""
        return BulkService(self.inbox, self.escalations)

    def escalations_for(self, agent: str) -> EscalationService:
        return EscalationService(self._store, agent, self.inbox.sla, self.inbox.clock,
                                 self.settings.escalation_targets)

    def replies_for(self, agent: str) -> ReplyService:
        return ReplyService(self._store, agent, self.inbox.sla, self.inbox.clock)

    def channel_health(self) -> list[ChannelHealth] | None:
        """Each account's health (None: no accounts here, the desk is offline)."""
        if self.sync is None:
            return None
        return self.channel_health_of_store()

    def channel_health_of_store(self) -> list[ChannelHealth]:
        """Health of every channel that ever synced into this database (for `status`,
        which runs without the accounts' connectors)."""
        return channel_health(self._store.channels.sync_statuses(), self.inbox.clock(),
                              self.settings.silent_after)

    def worker(self) -> str | None:
        """The `tuidesk worker` holding this desk now, if any: then it runs sync, delivery
        and the clocks, and an open app leaves them to it."""
        from tuidesk.services.worker import desk_holder

        return desk_holder(self._store)

    def report_apart(self, since: int | None = None, brand: str | None = None) -> Report:
        """The insight report read on a connection of its own, so a thread can compute it
        while the app keeps answering keys on the main one (the dashboard froze the app for
        21 s at 1M messages). Raises StoreError as any read does."""
        assert self.insight is not None
        insight = self.insight
        if self.db_path == ":memory:":  # another connection would see another database
            return insight.report(since, brand)
        store = Store.open(self.db_path, migrate=False)
        try:
            return InsightService(store, insight.agent, insight.sla, insight.clock).report(
                since, brand)
        finally:
            store.close(checkpoint=False)

    @property
    def agents(self) -> AgentService:
        """Agents who sign in to `tuidesk web`, and their sign-ins."""
        return AgentService(self._store, self.inbox.clock)

    def count_apart(self, view: str) -> int:
        """A saved view's count on a connection of its own (a thread counts while the app
        shows the view's first page: counting a filter reads every match, 0.3-0.9 s at 1M)."""
        if self.db_path == ":memory:":
            return self.inbox.count(view)
        store = Store.open(self.db_path, migrate=False)
        try:
            inbox = InboxService(store, self.inbox.agent, self.inbox.sla, self.inbox.clock)
            inbox.saved_views = self.inbox.saved_views
            return inbox.count(view)
        finally:
            store.close(checkpoint=False)

    def reader(self) -> Reader | None:
        """A connection of its own for reads made in a thread while the app answers keys
        (None with ":memory:": another connection would see another database)."""
        if self.db_path == ":memory:":
            return None
        if self._reader is None:
            self._reader = Reader(self.db_path, self.inbox)
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self._store.close()


def sla_from(settings: Settings) -> SlaPolicy:
    base = SlaPolicy()
    return SlaPolicy(first_response=base.first_response | settings.first_response,
                     next_response=base.next_response | settings.next_response,
                     business_hours=settings.business_hours,
                     business_days=settings.business_days, timezone=settings.timezone)


def open_services(
    db_path: str | Path, settings: Settings, clock: Clock = system_clock,
    connectors: Sequence[Connector] = (), rules: dict[str, list[KeywordRule]] | None = None,
    closers: Sequence[Callable[[], Awaitable[None]]] = (),
    webhooks: WebhookSender | None = None,
) -> Services:
    """Open the database and wire the services (the CLI's and tests' composition root).

    Args:
        connectors: one per brand account (built by the CLI); none means no sync.
        closers: async functions that release the connectors' HTTP clients.
    """
    store = Store.open(db_path)
    sla = sla_from(settings)
    inbox = InboxService(store, settings.agent, sla, clock, settings.supervisors,
                         settings.followup_days, settings.escalation_targets)
    inbox.saved_views = {v.name: v for v in settings.views}
    inbox.roster = settings.agents
    ingest = IngestService(store, sla, clock, vip=frozenset(settings.vip))
    apply_config(store, ingest, settings.vip, repr(sla))
    sync = SyncService(store, ingest, connectors, rules, clock,
                       stale_after=settings.sending_stale_after, webhooks=webhooks) \
        if connectors or webhooks else None
    if sync is not None:
        inbox.senders = sync.senders
    return Services(inbox=inbox, replies=ReplyService(store, settings.agent, sla, clock),
                    escalations=EscalationService(store, settings.agent, sla, clock,
                                                  settings.escalation_targets),
                    ingest=ingest, settings=settings, db_path=str(db_path),
                    _store=store, sync=sync, _closers=list(closers),
                    insight=InsightService(store, settings.agent, sla, clock),
                    clocks=ClockService(
                        store, sla, clock,
                        EscalationService(store, SYSTEM, sla, clock,
                                          settings.escalation_targets),
                        settings.breach_after, settings.breach_escalate))
