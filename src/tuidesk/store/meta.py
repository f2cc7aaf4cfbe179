"""Desk facts kept in the database (the SLA policy the open conversations follow)."""

from __future__ import annotations

from tuidesk.store.base import Repository


class Meta(Repository):
    """A small key-value table (desk_meta, m018)."""

    def get(self, key: str) -> str | None:
        value = self._one("SELECT value FROM desk_meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO desk_meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
