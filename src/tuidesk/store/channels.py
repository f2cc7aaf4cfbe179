"""Channels: sync cursors, sync health and brand display names."""

from __future__ import annotations

from tuidesk.models import SyncStatus
from tuidesk.store.base import Repository


class Channels(Repository):
    """Per-channel sync cursors and health, and brands' display names."""

    def brand_name(self, network: str, handle: str) -> str | None:
        value = self._one("SELECT name FROM brands WHERE network = ? AND handle = ?",
                          (network, handle))
        return None if value is None else str(value)

    def set_brand_name(self, network: str, handle: str, name: str) -> None:
        self.db.execute("UPDATE brands SET name = ? WHERE network = ? AND handle = ?",
                        (name, network, handle))

    def sync_cursor(self, account: str) -> str | None:
        value = self._one("SELECT cursor FROM sync_state WHERE account = ?", (account,))
        return None if value is None else str(value)

    def record_sync(self, account: str, at: int, cursor: str | None, fetched: int) -> None:
        self.db.execute(
            "INSERT INTO sync_state (account, cursor, last_sync_at, fetched) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account) DO UPDATE SET cursor = coalesce(excluded.cursor, cursor), "
            "last_sync_at = excluded.last_sync_at, fetched = fetched + excluded.fetched, "
            "last_error = NULL",
            (account, cursor, at, fetched))

    def record_sync_error(self, account: str, at: int, error: str) -> None:
        self.db.execute(
            "INSERT INTO sync_state (account, last_error, last_error_at) VALUES (?, ?, ?) "
            "ON CONFLICT (account) DO UPDATE SET last_error = excluded.last_error, "
            "last_error_at = excluded.last_error_at", (account, error, at))

    def sync_statuses(self) -> list[SyncStatus]:
        return [SyncStatus(*r) for r in self._q(
            "SELECT account, last_sync_at, last_error, last_error_at, fetched FROM sync_state "
            "ORDER BY account")]

    def keyword_cursor(self, account: str, term: str) -> str | None:
        value = self._one("SELECT cursor FROM keyword_cursors WHERE account = ? AND term = ?",
                          (account, term))
        return None if value is None else str(value)

    def set_keyword_cursor(self, account: str, term: str, cursor: str | None) -> None:
        if cursor is None:
            return
        self.db.execute(
            "INSERT INTO keyword_cursors (account, term, cursor) VALUES (?, ?, ?) "
            "ON CONFLICT (account, term) DO UPDATE SET cursor = excluded.cursor",
            (account, term, cursor))
