"""Agents who sign in to the web app: their password hashes and failed sign-ins."""

from __future__ import annotations

from tuidesk.store.base import Repository


class Agents(Repository):
    def add(self, name: str, password_hash: str, supervisor: bool, at: int) -> bool:
        """False if the name is taken."""
        return bool(self._q(
            "INSERT INTO agents (name, password_hash, supervisor, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING name",
            (name, password_hash, int(supervisor), at)))

    def set_hash(self, name: str, password_hash: str) -> bool:
        return bool(self._q(
            "UPDATE agents SET password_hash = ?, failures = 0, locked_until = 0 "
            "WHERE name = ? RETURNING name", (password_hash, name)))

    def remove(self, name: str) -> bool:
        return bool(self._q("DELETE FROM agents WHERE name = ? RETURNING name", (name,)))

    def listed(self) -> list[tuple[str, bool, int]]:
        """(name, supervisor, created_at) of every agent, by name."""
        return [(str(r[0]), bool(r[1]), int(r[2])) for r in self._q(
            "SELECT name, supervisor, created_at FROM agents ORDER BY name")]

    def credentials(self, name: str) -> tuple[str, bool, int, int] | None:
        """(password hash, supervisor, failures, locked until) or None."""
        rows = self._q("SELECT password_hash, supervisor, failures, locked_until FROM agents "
                       "WHERE name = ?", (name,))
        if not rows:
            return None
        h, sup, failures, locked = rows[0]
        return str(h), bool(sup), int(failures), int(locked)

    def failed(self, name: str, locked_until: int) -> None:
        self.db.execute("UPDATE agents SET failures = failures + 1, locked_until = ? "
                        "WHERE name = ?", (locked_until, name))

    def succeeded(self, name: str) -> None:
        self.db.execute("UPDATE agents SET failures = 0, locked_until = 0 WHERE name = ?",
                        (name,))
