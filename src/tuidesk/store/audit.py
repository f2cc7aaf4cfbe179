"""The audit log: events and what undo may reverse."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from tuidesk.models import ConversationState, Event
from tuidesk.store.base import Repository


class Audit(Repository):
    """Audit log rows: every action, who did it, the state before and after."""

    _batch: int | None = None
    """While a bulk action runs: its token, written into each of its events' after side."""

    @contextmanager
    def batch(self) -> Iterator[int]:
        """Mark every event added inside as one bulk action (one undo step).

        Call inside a write transaction: the token is the id the first event will get (no
        other writer can add one before it), so undo finds the batch by a range of ids.
        """
        self._batch = int(self._one("SELECT coalesce(max(id), 0) + 1 FROM events"))
        try:
            yield self._batch
        finally:
            self._batch = None

    def batch_events(self, agent: str, last: Event) -> list[Event]:
        """The events of `last`'s batch not undone yet, newest first ([last] if none)."""
        token = json.loads(last.after or "{}").get("batch")
        if not isinstance(token, int):
            return [last]
        rows = self._q(
            """
            SELECT e.id, e.at, e.agent, e.action, e.conversation_id, e.before, e.after
            FROM events e
            WHERE e.agent = ? AND e.id BETWEEN ? AND ? AND e.before IS NOT NULL
              AND json_extract(e.after, '$.batch') = ?
              AND NOT EXISTS (SELECT 1 FROM events u WHERE u.agent = e.agent
                              AND u.action = 'undo' AND u.conversation_id IS e.conversation_id
                              AND json_extract(u.after, '$.undid') = e.id)
            ORDER BY e.id DESC
            """,
            (agent, token, last.id, token))
        return [Event(*r) for r in rows]

    def events(
        self, conversation_id: int | None = None, agent: str | None = None,
        limit: int = 1000, after_id: int = 0,
    ) -> list[Event]:
        """Audit events, oldest first (the last `limit` matching)."""
        where, params = ["id > ?"], [after_id]
        if conversation_id is not None:
            where.append("conversation_id = ?")
            params.append(conversation_id)
        if agent is not None:
            where.append("agent = ?")
            params.append(agent)  # type: ignore[arg-type]
        rows = self._q(
            "SELECT id, at, agent, action, conversation_id, before, after FROM events "
            f"WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [Event(*r) for r in reversed(rows)]

    def add_event(
        self, agent: str, action: str, conversation_id: int | None,
        before: ConversationState | None, after: ConversationState | None, at: int,
        extra: Mapping[str, Any] | None = None,
    ) -> int:
        """Append an audit event (the table refuses UPDATE and DELETE).

        The record keeps the state before and after as JSON objects; `extra` (what the
        action made: a note's id, a reply's outbox id and text) joins the after side.
        """
        after_record = (after._asdict() if after is not None else {}) | dict(extra or {})
        if self._batch is not None and action != "undo":
            after_record["batch"] = self._batch
        return int(self._one(
            "INSERT INTO events (at, agent, action, conversation_id, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (at, agent, action, conversation_id,
             None if before is None else json.dumps(before._asdict(), sort_keys=True),
             json.dumps(after_record, sort_keys=True) if after_record else None)))

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
