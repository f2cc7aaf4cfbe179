"""The service layer: what the UI and CLI call. It never imports textual."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tuidesk.config import Settings
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.inbox import InboxService
from tuidesk.services.ingest import IngestService
from tuidesk.services.priority import SlaPolicy
from tuidesk.store import Store


@dataclass
class Services:
    """The single object the App receives."""

    inbox: InboxService
    ingest: IngestService
    settings: Settings
    db_path: str
    _store: Store

    def for_agent(self, agent: str) -> InboxService:
        return InboxService(self._store, agent, self.inbox.sla, self.inbox.clock)

    def close(self) -> None:
        self._store.close()


def sla_from(settings: Settings) -> SlaPolicy:
    base = SlaPolicy()
    return SlaPolicy(first_response=base.first_response | settings.first_response,
                     next_response=base.next_response | settings.next_response)


def open_services(db_path: str | Path, settings: Settings, clock: Clock = system_clock
                  ) -> Services:
    """Open the database and wire the services (the CLI's and tests' composition root)."""
    store = Store.open(db_path)
    sla = sla_from(settings)
    return Services(
        inbox=InboxService(store, settings.agent, sla, clock),
        ingest=IngestService(store, sla, clock),
        settings=settings,
        db_path=str(db_path),
        _store=store,
    )
