"""The team: presence and saved replies."""

from __future__ import annotations

from tuidesk.models import SavedReply
from tuidesk.store.base import Repository


class Team(Repository):
    """Agents' presence and the team's saved replies."""

    def saved_replies(self) -> list[SavedReply]:
        return [SavedReply(*r) for r in self._q(
            "SELECT id, name, body FROM saved_replies ORDER BY name")]

    def remove_saved_reply(self, name: str) -> bool:
        return bool(self._q("DELETE FROM saved_replies WHERE name = ? RETURNING id", (name,)))

    def add_saved_reply(self, name: str, body: str) -> None:
        self.db.execute(
            "INSERT INTO saved_replies (name, body) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET body = excluded.body", (name, body))

    def heartbeat(self, agent: str, conversation_id: int | None, activity: str, at: int
                  ) -> None:
        if conversation_id is None:
            self.db.execute("DELETE FROM presence WHERE agent = ?", (agent,))
            return
        self.db.execute(
            "INSERT INTO presence (agent, conversation_id, activity, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (agent) DO UPDATE SET conversation_id = excluded.conversation_id, "
            "activity = excluded.activity, at = excluded.at",
            (agent, conversation_id, activity, at))

    def present(self, conversation_id: int, since: int, exclude: str) -> list[tuple[str, str]]:
        """(agent, activity) of others on a conversation whose heartbeat is newer than since."""
        return [(r[0], r[1]) for r in self._q(
            "SELECT agent, activity FROM presence WHERE conversation_id = ? AND at >= ? "
            "AND agent != ? ORDER BY agent", (conversation_id, since, exclude))]
