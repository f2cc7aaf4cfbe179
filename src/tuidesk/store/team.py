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

    def known_agents(self, exclude: str = "system") -> list[str]:
        """Everyone who ever acted here, holds a conversation or has the app open.

        The audit log's agents are read by a skip scan of events_agent (one index probe per
        agent, not a pass over every event), so this costs the same at 10M events as at 10.
        """
        found: set[str] = set()
        last = ""
        while True:
            row = self._q("SELECT min(agent) FROM events WHERE agent > ?", (last,))
            if not row or row[0][0] is None:
                break
            last = str(row[0][0])
            found.add(last)
        found.update(str(r[0]) for r in self._q(
            "SELECT assignee FROM view_counts WHERE assignee != '' AND n > 0 "
            "UNION SELECT agent FROM presence"))
        found.discard(exclude)
        return sorted(found)

    def known_tags(self, prefix: str = "", limit: int = 20) -> list[str]:
        """Tags in use that start with `prefix`, by a skip scan of tags_by_tag."""
        found: list[str] = []
        while len(found) < limit:
            row = self._q("SELECT min(tag) FROM conversation_tags WHERE tag > ?",
                          (found[-1],)) if found else self._q(
                "SELECT min(tag) FROM conversation_tags WHERE tag >= ?", (prefix,))
            tag = row[0][0] if row else None
            if tag is None or not str(tag).startswith(prefix):
                break
            found.append(str(tag))
        return found
