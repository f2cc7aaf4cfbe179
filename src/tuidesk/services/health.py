"""Provides channel_health(): is each channel watched, working and hearing from customers?

A channel is *failing* when its last sync failed (with the count of failures in a row),
*silent* when it synced but no new message came for longer than `[sync] silent_after`
minutes, *never* when it has not synced yet, else *ok*. `tuidesk status` exits non-zero
when any channel is not ok; the app's top bar flags them at every width.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuidesk.models import SyncStatus


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    account: str
    state: str
    """ok, failing, silent or never."""
    detail: str
    last_sync_at: int | None
    last_item_at: int | None
    failures: int

    @property
    def healthy(self) -> bool:
        return self.state == "ok"


def _ago(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def channel_health(statuses: list[SyncStatus], now: int,
                   silent_after: int | None) -> list[ChannelHealth]:
    out = []
    for st in statuses:
        failing = bool(st.last_error) and (st.last_sync_at or 0) <= (st.last_error_at or 0)
        last_heard = st.last_item_at or st.last_sync_at
        if failing:
            state = "failing"
            detail = f"{max(st.failures, 1)} failed syncs in a row: {st.last_error}"
        elif st.last_sync_at is None:
            state, detail = "never", "has not synced yet"
        elif silent_after is not None and last_heard is not None \
                and now - last_heard > silent_after:
            state = "silent"
            detail = f"nothing new for {_ago(now - last_heard)} (silent after {_ago(silent_after)})"
        else:
            state, detail = "ok", f"synced {_ago(now - st.last_sync_at)} ago"
        out.append(ChannelHealth(st.account, state, detail, st.last_sync_at, st.last_item_at,
                                 st.failures))
    return out
