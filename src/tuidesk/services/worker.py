"""Provides Worker: the always-on desk. It syncs every account on its interval, delivers a
queued reply as soon as the database changes, runs the clocks and watches channel health,
while it holds the desk's lease; a standby waits and takes over when the holder stops
renewing (it was killed). The app runs these jobs itself only while no worker holds it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import uuid
from collections.abc import Callable

from tuidesk.services.clocks import ClockService
from tuidesk.services.health import ChannelHealth, channel_health
from tuidesk.services.sync import SyncReport, SyncService
from tuidesk.store import Store

#: The one lease: whoever holds it runs sync, delivery, webhooks and the clocks.
LEASE = "desk"
#: Seconds a lease lasts without renewal: a killed holder is replaced within this.
LEASE_TTL = 5.0
#: Seconds between looks at the database (PRAGMA data_version) and lease renewals.
TICK = 0.25
#: Seconds between clock runs, and the longest wait before a due retry is sent.
CLOCK_EVERY = 5.0


def new_holder() -> str:
    return f"worker {socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def desk_holder(store: Store, now: float | None = None) -> str | None:
    """The worker holding the desk right now, if any (the app then leaves the jobs to it)."""
    return store.leases.holder(LEASE, time.time() if now is None else now)


class Worker:
    def __init__(self, store: Store, sync: SyncService | None, clocks: ClockService,
                 sync_interval: float, silent_after: int | None,
                 log: Callable[[str], None], holder: str | None = None,
                 wall: Callable[[], float] = time.time,
                 alert_webhook: str | None = None) -> None:
        self.alert_webhook = alert_webhook
        self.store = store
        self.sync = sync
        self.clocks = clocks
        self.sync_interval = sync_interval
        self.silent_after = silent_after
        self.log = log
        self.holder = holder or new_holder()
        self.wall = wall
        self.holding = False
        self._said: bool | None = None
        self._next_sync = 0.0
        self._next_clock = 0.0
        self._next_delivery = 0.0
        self._version = -1

    # -- one step --------------------------------------------------------------------------

    def _lease(self) -> bool:
        with self.store.write():
            held = self.store.leases.acquire(LEASE, self.holder, self.wall(), LEASE_TTL)
        if held != self._said:
            self.log(f"holding the desk ({self.holder})" if held
                     else "standby: another worker holds the desk")
            self._said = held
        self.holding = held
        return held

    async def step(self, force: bool = False) -> bool:
        """Renew the lease and run what is due; returns whether this worker holds the desk."""
        if not self._lease():
            return False
        now = self.wall()
        report = SyncReport()
        if self.sync is not None and (force or now >= self._next_sync):
            self._next_sync = now + self.sync_interval
            for name in self.sync.connectors:
                await self.sync.sync_account(name, report)
            self._watch_health()
        version = self.store.data_version()
        if self.sync is not None and (force or version != self._version
                                      or now >= self._next_delivery):
            self._version = version
            self._next_delivery = now + CLOCK_EVERY
            await self.sync.deliver_due(report)
            await self.sync.deliver_webhooks(report)
            self._version = self.store.data_version()
        if force or now >= self._next_clock:
            self._next_clock = now + CLOCK_EVERY
            changed = self.clocks.run()
            if changed:
                self.log(f"clocks: {len(changed)} conversations back in the inbox "
                         f"({', '.join(f'#{c}' for c in changed[:10])})")
        self._log_report(report)
        return True

    def _log_report(self, r: SyncReport) -> None:
        for name, n in r.fetched.items():
            if n:
                self.log(f"{name}: {n} new")
        for name, problem in (r.errors | r.warnings).items():
            self.log(f"{name}: {problem}")
        for label, ids in (("sent", r.sent), ("refused", r.failed), ("retrying", r.retrying),
                           ("webhook sent", r.webhooks_sent),
                           ("webhook failed", r.webhooks_failed)):
            if ids:
                self.log(f"outbox: {label} {', '.join(str(i) for i in ids)}")

    def _watch_health(self) -> None:
        """A channel that turns unhealthy, and one that recovers, is logged and (with
        `[sync] alert_webhook`) announced once each, through the durable webhook outbox.
        The transition is kept in the database, so a restarted worker does not repeat it."""
        now = int(self.wall())
        was = {s.account: s.unhealthy_since for s in self.store.channels.sync_statuses()}
        for h in self.health(now):
            bad_before = was.get(h.account) is not None
            if h.state == "never" or bad_before == (not h.healthy):
                continue
            event = "channel_recovered" if h.healthy else "channel_unhealthy"
            self.log(f"{h.account}: {h.state}: {h.detail}")
            with self.store.write():
                self.store.channels.mark_health(h.account, None if h.healthy else now)
                if self.alert_webhook:
                    body = json.dumps({"event": event, "account": h.account,
                                       "state": h.state, "detail": h.detail, "at": now},
                                      sort_keys=True)
                    self.store.escalations.enqueue_webhook(
                        None, "channel alert", self.alert_webhook, body, now,
                        uuid.uuid4().hex)

    def health(self, now: int) -> list[ChannelHealth]:
        return channel_health(self.store.channels.sync_statuses(), now, self.silent_after)

    # -- loop ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set (SIGTERM, SIGINT): step every TICK, then give the desk up."""
        try:
            while not stop.is_set():
                await self.step()
                try:
                    await asyncio.wait_for(stop.wait(), TICK)
                except TimeoutError:
                    pass
        finally:
            self.release()

    def release(self) -> None:
        if self.holding:
            with self.store.write():
                self.store.leases.release(LEASE, self.holder)
            self.holding = False
            self._said = None
            self.log("released the desk")
