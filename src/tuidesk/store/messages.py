"""Messages of a conversation, internal notes and drafts."""

from __future__ import annotations

from tuidesk.models import Draft, Message
from tuidesk.store.base import Repository
from tuidesk.store.views import MESSAGE_COLS


class Messages(Repository):
    """A conversation's messages, internal notes and reply drafts."""

    def messages_of(self, conversation_id: int) -> list[Message]:
        rows = self._q(
            f"SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = ? "
            "ORDER BY created_at, id",
            (conversation_id,),
        )
        return [Message(*r) for r in rows]

    def draft(self, conversation_id: int, agent: str) -> Draft | None:
        rows = self._q(
            "SELECT conversation_id, agent, text, visibility, updated_at FROM drafts "
            "WHERE conversation_id = ? AND agent = ?", (conversation_id, agent))
        return Draft(*rows[0]) if rows else None

    def add_note(self, conversation_id: int, agent: str, text: str, at: int) -> int:
        return int(self._one(
            "INSERT INTO notes (conversation_id, customer_id, agent, text, created_at) "
            "SELECT id, customer_id, ?, ?, ? FROM conversations WHERE id = ? RETURNING id",
            (agent, text, at, conversation_id)))

    def delete_note(self, note_id: int) -> None:
        self.db.execute("DELETE FROM notes WHERE id = ?", (note_id,))

    def save_draft(
        self, conversation_id: int, agent: str, text: str, visibility: str, at: int
    ) -> None:
        self.db.execute(
            "INSERT INTO drafts (conversation_id, agent, text, visibility, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id, agent) DO UPDATE SET "
            "text = excluded.text, visibility = excluded.visibility, "
            "updated_at = excluded.updated_at",
            (conversation_id, agent, text, visibility, at))

    def delete_draft(self, conversation_id: int, agent: str) -> None:
        self.db.execute("DELETE FROM drafts WHERE conversation_id = ? AND agent = ?",
                        (conversation_id, agent))

    def set_message_agent(self, network: str, remote_id: str, agent: str) -> None:
        self.db.execute("UPDATE messages SET agent = ? WHERE network = ? AND remote_id = ?",
                        (agent, network, remote_id))

    def replies_since(self, conversation_id: int, since: int, exclude: str) -> list[str]:
        """Agents other than `exclude` who answered the conversation at or after `since`."""
        return [r[0] for r in self._q(
            "SELECT DISTINCT agent FROM outbox WHERE conversation_id = ? AND created_at >= ? "
            "AND agent != ? AND state != 'cancelled'", (conversation_id, since, exclude))]
