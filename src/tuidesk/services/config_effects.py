"""Provides apply_config: configuration that changes priority (the VIP list, the SLA
policy) takes effect on the open conversations it concerns when a front end starts."""

from __future__ import annotations

from collections.abc import Iterable

from tuidesk.services.ingest import IngestService
from tuidesk.store import Store


def apply_config(store: Store, ingest: IngestService, vip: Iterable[str],
                 sla_fingerprint: str) -> int:
    """Re-derive the open conversations that the configuration's VIP list or SLA policy
    changed (at start-up of the app, the worker and every command). Adding a customer to
    `vip = [...]` used to change nothing until they wrote again. Cheap when nothing changed:
    two reads (the VIP flags through a partial index, the stored policy), no write lock.

    Returns:
        How many conversations were re-derived.
    """
    stored = store.meta.get("sla")
    flips = store.conversations.vip_changes(list(vip))
    if stored == sla_fingerprint and not flips:
        return 0  # the common start: two reads, no write lock
    with store.write():
        flips = store.conversations.vip_changes(list(vip))  # again, under the lock
        ids = set(store.conversations.flip_vip(flips))
        if store.meta.get("sla") != sla_fingerprint:
            if stored is not None:  # a new desk has nothing derived with another policy
                ids.update(store.conversations.open_conversations())
            store.meta.set("sla", sla_fingerprint)
        if ids:
            ingest.rederive(sorted(ids))
    return len(ids)
