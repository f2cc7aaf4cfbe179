"""Provides SyncService: pull mentions/DMs/keyword matches in, push the outbox out.

The outbox is a state machine persisted in SQLite: queued -> sending -> sent | failed.
A row is moved to 'sending' in its own committed transaction before the network call, and to
'sent' in another after it; a process killed in between leaves it in 'sending', and the next
run takes it again after `stale_after` seconds with the same idempotency key (Mastodon
replays the original status for an Idempotency-Key it has seen in the last hour; for Bluesky
the record key is derived from the row and looked up first), so no reply is lost or doubled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from tuidesk.errors import ConfigError, ConnectorError, RemoteError
from tuidesk.models import Delivery, KeywordRule, Status, SyncStatus
from tuidesk.services.audit import SYSTEM, act
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.ingest import IngestService
from tuidesk.store import Store

if TYPE_CHECKING:
    # Types only: importing the connectors loads httpx (~90 ms of every start), which
    # a desk without accounts never uses.
    from tuidesk.connectors.base import Connector


@dataclass
class SyncReport:
    fetched: dict[str, int] = field(default_factory=dict)
    """New messages per account."""
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    """What an account could not read without failing (its DMs, say)."""
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    webhooks_sent: list[int] = field(default_factory=list)
    webhooks_failed: list[int] = field(default_factory=list)
    webhooks_retrying: list[int] = field(default_factory=list)


def backoff(attempts: int, retry_after: float | None) -> int:
    """Seconds to wait before the next attempt: the server's word, else exponential."""
    if retry_after is not None:
        return max(1, int(retry_after + 0.999))
    return min(3600, 30 * (1 << max(0, attempts - 1)))


#: A webhook is tried this many times (about 3 hours of backoff), then left "failed": dead,
#: shown in the detail pane, until someone looks.
WEBHOOK_ATTEMPTS = 10


class WebhookSender(Protocol):
    async def send(self, target: str, url: str, body: str, idempotency_key: str = "") -> int:
        ...


class SyncService:
    def __init__(self, store: Store, ingest: IngestService, connectors: Sequence[Connector],
                 rules: dict[str, list[KeywordRule]] | None = None, clock: Clock = system_clock,
                 stale_after: int = 120, webhooks: WebhookSender | None = None) -> None:
        self.webhooks = webhooks
        self.store = store
        self.ingest = ingest
        self.connectors = {c.account_name: c for c in connectors}
        self.rules = rules or {}
        self.clock = clock
        self.stale_after = stale_after

    @property
    def senders(self) -> frozenset[tuple[str, str]]:
        """(network, brand handle) of every account here: the only brands we post as."""
        return frozenset((c.network, c.handle) for c in self.connectors.values())

    def statuses(self) -> list[SyncStatus]:
        return self.store.channels.sync_statuses()

    async def sync_account(self, name: str, report: SyncReport) -> None:
        connector = self.connectors[name]
        try:
            result = await connector.fetch(self.store.channels.sync_cursor(name))
            messages = list(result.messages)
            keyword_cursors: dict[str, str | None] = {}
            for rule in self.rules.get(name, []):
                found = await connector.search(
                    rule, self.store.channels.keyword_cursor(name, rule.term))
                messages += found.messages
                keyword_cursors[rule.term] = found.cursor
        except ConnectorError as exc:
            with self.store.write():
                self.store.channels.record_sync_error(name, self.clock(), f"{exc.title}: {exc.msg}")
            report.errors[name] = f"{exc.title}: {exc.msg}"
            return
        imported = self.ingest.ingest(messages).imported if messages else 0
        with self.store.write():
            self.store.channels.record_sync(name, self.clock(), result.cursor, imported)
            for term, cursor in keyword_cursors.items():
                self.store.channels.set_keyword_cursor(name, term, cursor)
        report.fetched[name] = imported
        for warning in result.warnings:
            report.warnings[name] = warning

    def _connector_for(self, d: Delivery) -> Connector | None:
        """The brand's own account, never another brand's on the same network."""
        return next((c for c in self.connectors.values()
                     if c.network == d.network and c.handle == d.brand), None)

    async def deliver_due(self, report: SyncReport, limit: int = 50,
                          on_claimed: Callable[[Delivery], None] | None = None) -> None:
        for _ in range(limit):
            with self.store.write():
                d = self.store.outbox.claim_delivery(sorted(self.senders), self.clock(),
                                              self.stale_after)
            if d is None:
                return
            if on_claimed:
                on_claimed(d)
            connector = self._connector_for(d)
            try:
                if connector is None:  # claimed only for our senders: the account went away
                    raise RemoteError(f"No {d.network} account for @{d.brand} is configured "
                                      "here; add it (tuidesk account add) and retry.")
                ref = await connector.post(d)
            except ConnectorError as exc:
                now = self.clock()
                with self.store.write():
                    if exc.retryable:
                        self.store.outbox.reschedule(d.outbox_id, f"{exc.title}: {exc.msg}", now,
                                              now + backoff(d.attempts, exc.retry_after))
                        report.retrying.append(d.outbox_id)
                    else:
                        self.store.outbox.mark_failed(d.outbox_id, f"{exc.title}: {exc.msg}", now)
                        self._refused(d, f"{exc.title}: {exc.msg}", now)
                        report.failed.append(d.outbox_id)
                continue
            with self.store.write():
                message = self.store.outbox.mark_sent(d.outbox_id, ref, self.clock())
                if message is not None:
                    self.ingest.ingest([message])
                    agent = self.store.outbox.outbox_agent(d.outbox_id)
                    self.store.messages.set_message_agent(message.network, message.remote_id, agent)
            report.sent.append(d.outbox_id)

    def _refused(self, d: Delivery, error: str, now: int) -> None:
        """A refused reply is work: its conversation comes back to the Inbox, flagged, until
        the reply is resent, edited or dropped (an escalated one stays escalated)."""
        state = self.store.conversations.snapshot(d.conversation_id)
        status = state.status if state is not None else None
        change: dict[str, object] = {"reply_failed": 1}
        if status in (Status.NEW, Status.OPEN, Status.PENDING):
            change["status"] = Status.OPEN
        act(self.store, SYSTEM, self.ingest.sla, now, d.conversation_id, "reply_refused",
            change, {"outbox_id": d.outbox_id, "error": error})

    async def deliver_webhooks(self, report: SyncReport, limit: int = 50) -> None:
        """Escalations to external systems: same durable queue discipline as replies."""
        if self.webhooks is None:
            return
        for _ in range(limit):
            with self.store.write():
                item = self.store.escalations.claim_webhook(self.clock(), self.stale_after)
            if item is None:
                return
            try:
                status = await self.webhooks.send(item.target, item.url, item.body,
                                                  item.idempotency_key)
            except (ConnectorError, ConfigError) as exc:
                now = self.clock()
                retry = isinstance(exc, ConnectorError) and exc.retryable \
                    and item.attempts < WEBHOOK_ATTEMPTS
                if isinstance(exc, ConnectorError) and exc.retryable and not retry:
                    exc = ConnectorError(f"gave up after {item.attempts} attempts: {exc.msg}",
                                         exc.title)
                with self.store.write():
                    self.store.escalations.finish_webhook(
                        item.id, "queued" if retry else "failed", None,
                        f"{exc.title}: {exc.msg}", now,
                        now + backoff(item.attempts, getattr(exc, "retry_after", None))
                        if retry else None)
                (report.webhooks_retrying if retry else report.webhooks_failed).append(item.id)
                continue
            with self.store.write():
                self.store.escalations.finish_webhook(item.id, "sent", status, None, self.clock())
            report.webhooks_sent.append(item.id)

    async def run_once(self) -> SyncReport:
        """Sync every account, then deliver what is due (replies and escalation webhooks)."""
        report = SyncReport()
        for name in self.connectors:
            await self.sync_account(name, report)
        await self.deliver_due(report)
        await self.deliver_webhooks(report)
        return report
