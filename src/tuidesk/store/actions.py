"""Provides the Store's write side: claims, state, tags, notes, outbox and the audit log."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tuidesk.models import Event

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlite_utils import Database

#: Conversation columns an action may change (and undo may restore).
STATE_COLUMNS = (
    "status", "bucket", "sort_key", "assignee", "snoozed_until", "resolved_at", "due_at",
    "priority", "priority_reasons", "followup_at", "reply_failed",
)


class ActionsMixin:
    db: Database

    def _q(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError  # Store provides it
    def _one(self, sql: str, params: Any = ()) -> Any:
        raise NotImplementedError
    def tags_of(self, conversation_id: int) -> list[str]:
        raise NotImplementedError

    def snapshot(self, conversation_id: int) -> dict[str, Any] | None:
        """The conversation's mutable state, as recorded in audit events."""
        rows = self._q(
            f"SELECT {', '.join(STATE_COLUMNS)} FROM conversations WHERE id = ?",
            (conversation_id,),
        )
        if not rows:
            return None
        snap = dict(zip(STATE_COLUMNS, rows[0], strict=True))
        snap["tags"] = self.tags_of(conversation_id)
        return snap

    def state_inputs(self, conversation_id: int) -> dict[str, Any] | None:
        """What the services need to derive a conversation's bucket, sort key and due time."""
        rows = self._q(
            "SELECT c.id, c.status, c.assignee, c.created_at, c.last_at, c.last_inbound_at, "
            "c.waiting_since, c.first_response_at, c.resolved_at, c.snoozed_until, c.sentiment, "
            "cu.followers, coalesce(cu.vip, 0), c.priority, c.priority_reasons, c.due_at "
            "FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?",
            (conversation_id,),
        )
        if not rows:
            return None
        cols = ("id status assignee created_at last_at last_inbound_at waiting_since "
                "first_response_at resolved_at snoozed_until sentiment followers vip priority "
                "reasons due_at").split()
        return dict(zip(cols, rows[0], strict=True))

    def update_conversation(self, conversation_id: int, fields: dict[str, Any], at: int) -> None:
        cols = [c for c in fields if c in STATE_COLUMNS]
        if not cols:
            return
        sets = ", ".join(f"{c} = :{c}" for c in cols)
        params = {c: fields[c] for c in cols} | {"id": conversation_id, "at": at}
        self.db.execute(f"UPDATE conversations SET {sets}, updated_at = :at WHERE id = :id", params)

    def claim(self, conversation_id: int, agent: str, at: int, force: bool = False) -> str | None:
        """Atomically make `agent` the assignee unless someone else holds it.

        One `UPDATE ... RETURNING` decides: of two agents claiming at once exactly one wins.

        Returns:
            None if `agent` now holds it, else the current holder's name.
        """
        guard = "" if force else " AND (assignee IS NULL OR assignee = :agent)"
        won = self._q(
            f"UPDATE conversations SET assignee = :agent, updated_at = :at "
            f"WHERE id = :id{guard} RETURNING assignee",
            {"agent": agent, "id": conversation_id, "at": at},
        )
        if won:
            return None
        holder = self._one("SELECT assignee FROM conversations WHERE id = ?", (conversation_id,))
        return str(holder) if holder is not None else "nobody"

    def set_tags(self, conversation_id: int, tags: Iterable[str]) -> None:
        self.db.execute("DELETE FROM conversation_tags WHERE conversation_id = ?",
                        (conversation_id,))
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO conversation_tags (conversation_id, tag) VALUES (?, ?)",
            [(conversation_id, t) for t in tags],
        )

    def add_tags(self, conversation_id: int, tags: Iterable[str]) -> None:
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO conversation_tags (conversation_id, tag) VALUES (?, ?)",
            [(conversation_id, t) for t in tags],
        )

    def add_note(self, conversation_id: int, agent: str, text: str, at: int) -> int:
        return int(self._one(
            "INSERT INTO notes (conversation_id, customer_id, agent, text, created_at) "
            "SELECT id, customer_id, ?, ?, ? FROM conversations WHERE id = ? RETURNING id",
            (agent, text, at, conversation_id)))

    def delete_note(self, note_id: int) -> None:
        self.db.execute("DELETE FROM notes WHERE id = ?", (note_id,))

    def add_escalation(
        self, conversation_id: int, target: str, reason: str, agent: str, at: int
    ) -> int:
        return int(self._one(
            "INSERT INTO escalations (conversation_id, target, reason, agent, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (conversation_id, target, reason, agent, at)))

    def set_escalation_status(self, escalation_id: int, status: str, at: int) -> None:
        self.db.execute(
            "UPDATE escalations SET status = ?, closed_at = ? WHERE id = ?",
            (status, None if status == "open" else at, escalation_id))

    def open_escalations(self, conversation_id: int) -> list[int]:
        return [r[0] for r in self._q(
            "SELECT id FROM escalations WHERE conversation_id = ? AND status = 'open'",
            (conversation_id,))]

    def enqueue_reply(
        self, conversation_id: int, text: str, visibility: str, agent: str,
        idempotency_key: str, at: int,
    ) -> int:
        """Put a reply in the outbox (state 'queued'); the key makes a re-send a no-op."""
        return int(self._one(
            """
            INSERT INTO outbox (conversation_id, network, in_reply_to, visibility, text, agent,
                idempotency_key, created_at, updated_at)
            SELECT c.id, c.network,
                (SELECT remote_id FROM messages WHERE conversation_id = c.id AND direction = 'in'
                 ORDER BY created_at DESC, id DESC LIMIT 1),
                ?, ?, ?, ?, ?, ?
            FROM conversations c WHERE c.id = ?
            ON CONFLICT (idempotency_key) DO UPDATE SET updated_at = updated_at
            RETURNING id
            """,
            (visibility, text, agent, idempotency_key, at, at, conversation_id)))

    def cancel_outbox(self, outbox_id: int, at: int,
                      states: tuple[str, ...] = ("queued", "failed")) -> bool:
        """Cancel a reply that has not started sending; returns whether it was cancelled."""
        marks = ",".join("?" * len(states))
        return bool(self._q(
            "UPDATE outbox SET state = 'cancelled', updated_at = ? "
            f"WHERE id = ? AND state IN ({marks}) RETURNING id", (at, outbox_id, *states)))

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

    def set_brand_name(self, network: str, handle: str, name: str) -> None:
        self.db.execute("UPDATE brands SET name = ? WHERE network = ? AND handle = ?",
                        (name, network, handle))

    def remove_saved_reply(self, name: str) -> bool:
        return bool(self._q("DELETE FROM saved_replies WHERE name = ? RETURNING id", (name,)))

    def add_saved_reply(self, name: str, body: str) -> None:
        self.db.execute(
            "INSERT INTO saved_replies (name, body) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET body = excluded.body", (name, body))

    def add_event(
        self, agent: str, action: str, conversation_id: int | None,
        before: dict[str, Any] | None, after: dict[str, Any] | None, at: int,
    ) -> int:
        """Append an audit event (the table refuses UPDATE and DELETE)."""
        return int(self._one(
            "INSERT INTO events (at, agent, action, conversation_id, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (at, agent, action, conversation_id,
             None if before is None else json.dumps(before, sort_keys=True),
             None if after is None else json.dumps(after, sort_keys=True))))

    def last_undoable_event(self, agent: str) -> Event | None:
        """The agent's most recent action that has not been undone yet."""
        rows = self._q(
            """
            SELECT e.id, e.at, e.agent, e.action, e.conversation_id, e.before, e.after
            FROM events e
            WHERE e.agent = ? AND e.action NOT IN ('undo', 'import', 'draft')
              AND e.before IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM events u WHERE u.agent = e.agent
                              AND u.action = 'undo' AND u.conversation_id IS e.conversation_id
                              AND json_extract(u.after, '$.undid') = e.id)
            ORDER BY e.id DESC LIMIT 1
            """,
            (agent,))
        return Event(*rows[0]) if rows else None
