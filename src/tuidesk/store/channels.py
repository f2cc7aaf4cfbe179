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
            "INSERT INTO sync_state (account, cursor, last_sync_at, fetched, last_item_at) "
            "VALUES (?1, ?2, ?3, ?4, ?3) "
            "ON CONFLICT (account) DO UPDATE SET cursor = coalesce(excluded.cursor, cursor), "
            "last_sync_at = excluded.last_sync_at, fetched = fetched + excluded.fetched, "
            "last_error = NULL, failures = 0",
            (account, cursor, at, fetched))  # the silence clock starts at the first sync
        if fetched:
            self.db.execute("UPDATE sync_state SET last_item_at = ? WHERE account = ?",
                            (at, account))

    def record_sync_error(self, account: str, at: int, error: str) -> None:
        self.db.execute(
            "INSERT INTO sync_state (account, last_error, last_error_at, failures) "
            "VALUES (?, ?, ?, 1) "
            "ON CONFLICT (account) DO UPDATE SET last_error = excluded.last_error, "
            "last_error_at = excluded.last_error_at, failures = failures + 1",
            (account, error, at))

    def sync_statuses(self) -> list[SyncStatus]:
        return [SyncStatus(*r) for r in self._q(
            "SELECT account, last_sync_at, last_error, last_error_at, fetched, last_item_at, "
            "failures, unhealthy_since FROM sync_state ORDER BY account")]

    def mark_health(self, account: str, unhealthy_since: int | None) -> None:
        """Remember since when a channel is unhealthy (None: healthy again)."""
        self.db.execute("UPDATE sync_state SET unhealthy_since = ? WHERE account = ?",
                        (unhealthy_since, account))

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
