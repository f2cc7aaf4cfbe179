"""Provides the Store's read side: keyset queue pages, counts, search and conversation detail."""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING, Any

from tuidesk.errors import QueryError
from tuidesk.models import (
    Conversation,
    ConversationRow,
    Customer,
    Draft,
    Escalation,
    Event,
    Message,
    Note,
    OutboxItem,
    SavedReply,
    View,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlite_utils import Database

#: Each view once: (condition on the bucket, whose conversations, key column, descending?).
#: Whose: "nobody-or-me", "me", or None for anyone. Each view is served by one index:
#: conv_bucket (bucket, sort_key, id), conv_assignee (assignee, sort_key, id), conv_last.
VIEW_SPEC: dict[str, tuple[str | None, str | None, str, bool]] = {
    View.INBOX: ("= 'inbox'", "nobody-or-me", "c.sort_key", False),
    View.MINE: ("!= 'resolved'", "me", "c.sort_key", False),
    View.PENDING: ("= 'pending'", None, "c.sort_key", False),
    View.ESCALATED: ("= 'escalated'", None, "c.sort_key", False),
    View.SNOOZED: ("= 'snoozed'", None, "c.sort_key", False),
    View.RESOLVED: ("= 'resolved'", None, "c.sort_key", False),
    View.ALL: (None, None, "c.last_at", True),
}


def view_where(view: str, counts: bool = False) -> str:
    """The WHERE clause of a view over conversations, or (counts) over view_counts, whose
    assignee is '' for nobody. Both come from VIEW_SPEC, so a view and its count agree."""
    bucket, whose, _, _ = VIEW_SPEC[view]
    parts = []
    if whose == "me":
        parts.append("c.assignee = :agent")
    if bucket is not None:
        parts.append(f"c.bucket {bucket}")
    if whose == "nobody-or-me":
        parts.append("c.assignee IN ('', :agent)" if counts
                     else "(c.assignee IS NULL OR c.assignee = :agent)")
    return " AND ".join(parts) or "1"


#: view -> (WHERE clause, key column, descending?), for the pages.
VIEWS: dict[str, tuple[str, str, bool]] = {
    v: (view_where(v), spec[2], spec[3]) for v, spec in VIEW_SPEC.items()}

#: The same views over view_counts (bucket, assignee with '' for nobody, n).
COUNT_WHERE: dict[str, str] = {v: view_where(v, counts=True) for v in VIEW_SPEC}

ROW_SELECT = """
SELECT c.id, c.network, c.channel, c.status, c.priority, c.assignee, c.due_at, c.created_at,
    c.last_at, coalesce(cu.handle, ''), cu.followers, coalesce(b.handle, ''), c.preview,
    c.message_count, c.sort_key, c.reply_failed
FROM conversations c
LEFT JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN brands b ON b.id = c.brand_id
"""

MESSAGE_COLS = (
    "id, network, remote_id, conversation_id, direction, author, text, created_at, visibility, "
    "url, sentiment, agent"
)

_FTS_OPERATORS = re.compile(r'["*():^]|\b(AND|OR|NOT|NEAR)\b')

Key = tuple[int, int]


def _row(r: Sequence[Any]) -> ConversationRow:
    return ConversationRow(*r)


def fts_query(text: str) -> str:
    """Turn what an agent typed into an FTS5 query.

    Plain words become quoted phrases ANDed together (each matches its stem: `refund` finds
    "refunded"), so `can't log` just works; input that uses FTS5 syntax (quotes, AND/OR/NOT,
    `prefix*`, column:) is passed as is.
    """
    text = text.strip()
    if _FTS_OPERATORS.search(text):
        return text
    words = [w.replace('"', "") for w in text.split() if w.replace('"', "")]
    return " ".join(f'"{w}"' for w in words)


class QueriesMixin:
    db: Database

    def _q(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError  # Store provides it
    def _one(self, sql: str, params: Any = ()) -> Any:
        raise NotImplementedError

    # -- queue pages (keyset, never OFFSET except for an explicit jump) --------------------

    @staticmethod
    def key_of(view: str, row: ConversationRow) -> Key:
        """The keyset position of a row in a view."""
        return (row.last_at or 0, row.id) if view == View.ALL else (row.sort_key, row.id)

    def page(
        self, view: str, agent: str, after: Key | None = None, limit: int = 100
    ) -> list[ConversationRow]:
        """Rows of `view` that follow `after` in display order (the first page if None)."""
        where, col, desc = VIEWS[view]
        params: dict[str, Any] = {"agent": agent, "limit": limit}
        cond = ""
        if after is not None:
            cond = f" AND ({col}, c.id) {'<' if desc else '>'} (:k, :i)"
            params.update(k=after[0], i=after[1])
        order = "DESC" if desc else "ASC"
        sql = f"{ROW_SELECT} WHERE {where}{cond} ORDER BY {col} {order}, c.id {order} LIMIT :limit"
        return [_row(r) for r in self._q(sql, params)]

    def page_before(
        self, view: str, agent: str, before: Key | None = None, limit: int = 100
    ) -> list[ConversationRow]:
        """Rows of `view` that precede `before` (the last page if None), in display order."""
        where, col, desc = VIEWS[view]
        params: dict[str, Any] = {"agent": agent, "limit": limit}
        cond = ""
        if before is not None:
            cond = f" AND ({col}, c.id) {'>' if desc else '<'} (:k, :i)"
            params.update(k=before[0], i=before[1])
        order = "ASC" if desc else "DESC"
        sql = f"{ROW_SELECT} WHERE {where}{cond} ORDER BY {col} {order}, c.id {order} LIMIT :limit"
        rows = [_row(r) for r in self._q(sql, params)]
        rows.reverse()
        return rows

    def page_at(
        self, view: str, agent: str, offset: int, limit: int = 100
    ) -> list[ConversationRow]:
        """Rows from position `offset`: only for jumps to an arbitrary place (scrollbar drag)."""
        where, col, desc = VIEWS[view]
        order = "DESC" if desc else "ASC"
        sql = (
            f"{ROW_SELECT} WHERE {where} ORDER BY {col} {order}, c.id {order} "
            "LIMIT :limit OFFSET :offset"
        )
        rows = self._q(sql, {"agent": agent, "limit": limit, "offset": max(0, offset)})
        return [_row(r) for r in rows]

    def assigned_ids(self, agent: str, limit: int = 2000) -> list[int]:
        """Open conversations an agent holds, soonest due first (index conv_assignee)."""
        return [r[0] for r in self._q(
            "SELECT id FROM conversations WHERE assignee = ? AND bucket != 'resolved' "
            "ORDER BY sort_key, id LIMIT ?", (agent, limit))]

    def count(self, view: str, agent: str) -> int:
        """Conversations in `view`: a sum over view_counts (kept by triggers), not a scan."""
        return int(self._one(
            f"SELECT coalesce(sum(n), 0) FROM view_counts c WHERE {COUNT_WHERE[view]}",
            {"agent": agent}))

    def rows_by_id(self, ids: Sequence[int]) -> list[ConversationRow]:
        """Rows for the given ids, in the given order."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found = {r[0]: _row(r) for r in self._q(f"{ROW_SELECT} WHERE c.id IN ({marks})", ids)}
        return [found[i] for i in ids if i in found]

    def search(self, text: str, limit: int = 500) -> list[ConversationRow]:
        """Conversations with a message matching `text` (FTS5), most recent match first.

        Raises:
            QueryError: the query is not valid FTS5 syntax.
        """
        return self.rows_by_id(self.search_ids(text, limit))

    def search_ids(self, text: str, limit: int = 500) -> list[int]:
        """Ids of conversations matching `text`, most recent match first (rows load later).

        Raises:
            QueryError: the query is not valid FTS5 syntax.
        """
        seen: dict[int, None] = {}
        before: int | None = None
        while len(seen) < limit:
            ids, before = self.search_page(text, before, 2 * limit)
            for cid in ids:
                seen.setdefault(cid, None)
            if before is None:
                break
        return list(seen)[:limit]

    def search_page(
        self, text: str, before: int | None = None, limit: int = 200
    ) -> tuple[list[int], int | None]:
        """One keyset page of search hits: conversation ids of the `limit` most recent matching
        messages older than message `before`, and where the next page starts (None: no more).

        Ids may repeat (several matching messages in one conversation); callers dedupe.

        Raises:
            QueryError: the query is not valid FTS5 syntax.
        """
        query = fts_query(text)
        if not query:
            return [], None
        cond = "" if before is None else " AND rowid < :before"
        try:
            rows = self._q(
                f"""
                SELECT f.rowid, m.conversation_id FROM
                    (SELECT rowid FROM messages_fts WHERE messages_fts MATCH :q{cond}
                     ORDER BY rowid DESC LIMIT :limit) f
                JOIN messages m ON m.id = f.rowid
                ORDER BY f.rowid DESC
                """,
                {"q": query, "before": before, "limit": limit},
            )
        except sqlite3.OperationalError as exc:
            raise QueryError(f"Search {text!r}: {exc}", "Search syntax") from exc
        # Every message is indexed in the transaction that stores it, so every hit joins.
        next_before = rows[-1][0] if len(rows) == limit else None
        return [r[1] for r in rows], next_before

    # -- detail ----------------------------------------------------------------------------

    def messages_of(self, conversation_id: int) -> list[Message]:
        rows = self._q(
            f"SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = ? "
            "ORDER BY created_at, id",
            (conversation_id,),
        )
        return [Message(*r) for r in rows]

    def conversation(self, conversation_id: int) -> Conversation | None:
        """A conversation with its thread, the customer's history, notes, escalations, events."""
        rows = self._q(f"{ROW_SELECT} WHERE c.id = ?", (conversation_id,))
        if not rows:
            return None
        row = _row(rows[0])
        (reasons, first_resp, resolved, snoozed, sentiment, customer_id) = self._q(
            "SELECT priority_reasons, first_response_at, resolved_at, snoozed_until, sentiment, "
            "customer_id FROM conversations WHERE id = ?",
            (conversation_id,),
        )[0]
        customer = None
        history: list[Message] = []
        notes_where, esc_where = "n.conversation_id = ?", "e.conversation_id = ?"
        scope: tuple[int, ...] = (conversation_id,)
        if customer_id is not None:
            c = self._q(
                "SELECT id, network, handle, display_name, followers, first_seen, vip "
                "FROM customers WHERE id = ?",
                (customer_id,),
            )[0]
            customer = Customer(c[0], c[1], c[2], c[3], c[4], c[5], vip=bool(c[6]))
            # Everything the customer ever sent or received, in any conversation and channel:
            # an agent must never be oblivious of earlier DMs.
            history = [
                Message(*r)
                for r in self._q(
                    f"SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id IN "
                    "(SELECT id FROM conversations WHERE customer_id = ? AND id != ?) "
                    "ORDER BY created_at DESC, id DESC LIMIT 200",
                    (customer_id, conversation_id),
                )
            ]
            notes_where = ("n.conversation_id IN (SELECT id FROM conversations "
                           "WHERE customer_id = ?) OR n.conversation_id = ?")
            esc_where = ("e.conversation_id IN (SELECT id FROM conversations "
                         "WHERE customer_id = ?) OR e.conversation_id = ?")
            scope = (customer_id, conversation_id)
        notes = [
            Note(*r)
            for r in self._q(
                f"SELECT n.id, n.conversation_id, n.agent, n.text, n.created_at FROM notes n "
                f"WHERE {notes_where} ORDER BY n.created_at, n.id",
                scope,
            )
        ]
        escalations = [
            Escalation(*r)
            for r in self._q(
                "SELECT e.id, e.conversation_id, e.target, e.reason, e.agent, e.status, "
                f"e.created_at FROM escalations e WHERE {esc_where} ORDER BY e.created_at, e.id",
                scope,
            )
        ]
        return Conversation(
            row=row,
            priority_reasons=reasons,
            first_response_at=first_resp,
            resolved_at=resolved,
            snoozed_until=snoozed,
            sentiment=sentiment,
            tags=tuple(self.tags_of(conversation_id)),
            customer=customer,
            messages=tuple(self.messages_of(conversation_id)),
            history=tuple(reversed(history)),
            notes=tuple(notes),
            escalations=tuple(escalations),
            events=tuple(self.events(conversation_id=conversation_id, limit=50)),
            outbox=tuple(self.outbox_of(conversation_id)),
            commitments=tuple(self.commitments_of(conversation_id)),  # type: ignore[attr-defined]
            webhooks=tuple(self.webhooks_of(conversation_id)),  # type: ignore[attr-defined]
        )

    def brand_name(self, network: str, handle: str) -> str | None:
        value = self._one("SELECT name FROM brands WHERE network = ? AND handle = ?",
                          (network, handle))
        return None if value is None else str(value)

    def tags_of(self, conversation_id: int) -> list[str]:
        return [r[0] for r in self._q(
            "SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY tag",
            (conversation_id,))]

    def outbox_of(self, conversation_id: int) -> list[OutboxItem]:
        return [OutboxItem(*r) for r in self._q(
            "SELECT id, conversation_id, network, visibility, text, agent, state, "
            "idempotency_key, created_at, last_error FROM outbox WHERE conversation_id = ? "
            "ORDER BY id", (conversation_id,))]

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

    def draft(self, conversation_id: int, agent: str) -> Draft | None:
        rows = self._q(
            "SELECT conversation_id, agent, text, visibility, updated_at FROM drafts "
            "WHERE conversation_id = ? AND agent = ?", (conversation_id, agent))
        return Draft(*rows[0]) if rows else None

    def saved_replies(self) -> list[SavedReply]:
        return [SavedReply(*r) for r in self._q(
            "SELECT id, name, body FROM saved_replies ORDER BY name")]

    def stats(self) -> dict[str, int]:
        """Counts of the main tables (for `tuidesk list` summaries and tests)."""
        out = {}
        for table in ("brands", "customers", "conversations", "messages", "notes", "events"):
            out[table] = int(self._one(f"SELECT count(*) FROM {table}"))
        return out
