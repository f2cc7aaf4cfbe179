"""Conversations: queue pages, counts, search, detail, and their state (claim, tags, snapshots)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tuidesk.errors import QueryError
from tuidesk.models import (
    Conversation,
    ConversationRow,
    ConversationState,
    Customer,
    Escalation,
    Message,
    Note,
    StateInputs,
    View,
)
from tuidesk.store.base import Repository
from tuidesk.store.scripts import split_query
from tuidesk.store.views import (
    COUNT_WHERE,
    MESSAGE_COLS,
    ROW_SELECT,
    VIEWS,
    Key,
    _row,
    fts_query,
    literal_query,
)

#: Conversation columns an action may change (and undo may restore).
STATE_COLUMNS = ConversationState._fields[:-1]  # all but tags (their own table)


class Conversations(Repository):
    """Queue pages (keyset), counts, search, detail; claims, tags and state snapshots."""

    @staticmethod
    def key_of(view: str, row: ConversationRow) -> Key:
        """The keyset position of a row in a view."""
        return (row.last_at or 0, row.id) if view == View.ALL else (row.sort_key, row.id)

    @staticmethod
    def _spec(view: str, agent: str) -> tuple[str, dict[str, Any], str, bool]:
        """(WHERE, parameters, key column, descending?) of a built-in view."""
        where, col, desc = VIEWS[view]
        return where, {"agent": agent}, col, desc

    def page(
        self, view: str, agent: str, after: Key | None = None, limit: int = 100
    ) -> list[ConversationRow]:
        """Rows of `view` that follow `after` in display order (the first page if None)."""
        where, params, col, desc = self._spec(view, agent)
        params["limit"] = limit
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
        where, params, col, desc = self._spec(view, agent)
        params["limit"] = limit
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
        where, params, col, desc = self._spec(view, agent)
        order = "DESC" if desc else "ASC"
        sql = (
            f"{ROW_SELECT} WHERE {where} ORDER BY {col} {order}, c.id {order} "
            "LIMIT :limit OFFSET :offset"
        )
        rows = self._q(sql, params | {"limit": limit, "offset": max(0, offset)})
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
        chars, rest = split_query(text)
        cond = "" if before is None else " AND rowid < :before"

        def hits(query: str) -> list[tuple[Any, ...]]:
            if chars:
                # Text without spaces (CJK, emoji) is found by its characters, in order;
                # the query's other words must match the same message.
                also = (" AND rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts "
                        "MATCH :q)") if query else ""
                inner = f"SELECT rowid FROM messages_chars WHERE messages_chars MATCH :c{also}"
            elif query:
                inner = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH :q"
            else:
                return []
            return self._q(
                f"SELECT f.rowid, m.conversation_id FROM ({inner}{cond} ORDER BY rowid DESC "
                "LIMIT :limit) f JOIN messages m ON m.id = f.rowid ORDER BY f.rowid DESC",
                {"q": query, "c": chars, "before": before, "limit": limit})

        query = fts_query(rest)
        try:
            rows = hits(query)
        except sqlite3.OperationalError as exc:
            literal = literal_query(rest)
            if literal == query:
                raise QueryError(f"Search {text!r}: {exc}", "Search syntax") from exc
            try:  # not FTS5 syntax after all: the words as written (none: nothing to find)
                rows = hits(literal)
            except sqlite3.OperationalError as again:
                raise QueryError(f"Search {text!r}: {again}", "Search syntax") from again
        if not rows:
            return [], None
        # Every message is indexed in the transaction that stores it, so every hit joins.
        next_before = rows[-1][0] if len(rows) == limit else None
        return [r[1] for r in rows], next_before

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
            messages=tuple(self.store.messages.messages_of(conversation_id)),
            history=tuple(reversed(history)),
            notes=tuple(notes),
            escalations=tuple(escalations),
            events=tuple(self.store.audit.events(conversation_id=conversation_id, limit=50)),
            outbox=tuple(self.store.outbox.outbox_of(conversation_id)),
            commitments=tuple(self.store.escalations.commitments_of(conversation_id)),
            webhooks=tuple(self.store.escalations.webhooks_of(conversation_id)),
        )

    def tags_of(self, conversation_id: int) -> list[str]:
        return [r[0] for r in self._q(
            "SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY tag",
            (conversation_id,))]

    def stats(self) -> dict[str, int]:
        """Counts of the main tables (for `tuidesk list` summaries and tests)."""
        out = {}
        for table in ("brands", "customers", "conversations", "messages", "notes", "events"):
            out[table] = int(self._one(f"SELECT count(*) FROM {table}"))
        return out

    def snapshot(self, conversation_id: int) -> ConversationState | None:
        """The conversation's mutable state, as recorded in audit events."""
        rows = self._q(
            f"SELECT {', '.join(STATE_COLUMNS)} FROM conversations WHERE id = ?",
            (conversation_id,),
        )
        if not rows:
            return None
        return ConversationState._make((*rows[0], tuple(self.tags_of(conversation_id))))

    def state_inputs(self, conversation_id: int) -> StateInputs | None:
        """What the services need to derive a conversation's bucket, sort key and due time."""
        rows = self._q(
            "SELECT c.id, c.status, c.assignee, c.created_at, c.last_at, c.last_inbound_at, "
            "c.waiting_since, c.first_response_at, c.resolved_at, c.snoozed_until, c.sentiment, "
            "cu.followers, coalesce(cu.vip, 0), c.priority, c.priority_reasons, c.due_at "
            "FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?",
            (conversation_id,),
        )
        return StateInputs(*rows[0]) if rows else None

    def update_conversation(self, conversation_id: int, fields: Mapping[str, Any],
                            at: int) -> None:
        """Set state columns (others in `fields`, such as an audit record's tags, are
        ignored)."""
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

    def vip_changes(self, handles: list[str]) -> list[int]:
        """Customers whose VIP flag differs from `handles` (a read: no lock taken)."""
        wanted = set(handles)
        rows = self._q("SELECT id, handle, vip FROM customers INDEXED BY customers_vip "
                       "WHERE vip = 1", ())
        if wanted:
            rows += self._q(f"SELECT id, handle, vip FROM customers WHERE vip = 0 AND handle "
                            f"IN ({','.join('?' * len(wanted))})", list(wanted))
        return [int(i) for i, handle, vip in rows if bool(vip) != (handle in wanted)]

    def flip_vip(self, customer_ids: list[int]) -> list[int]:
        """Toggle these customers' VIP flag; returns their open (not resolved) conversations,
        to re-derive their priority."""
        if not customer_ids:
            return []
        marks = ",".join("?" * len(customer_ids))
        self.db.execute(f"UPDATE customers SET vip = NOT vip WHERE id IN ({marks})",
                        customer_ids)
        return [int(r[0]) for r in self._q(
            f"SELECT id FROM conversations WHERE customer_id IN ({marks}) "
            "AND status != 'resolved'", customer_ids)]

    def open_conversations(self) -> list[int]:
        """Every conversation not resolved (to re-derive after the SLA policy changed)."""
        return [int(r[0]) for r in self._q(
            "SELECT id FROM conversations WHERE status != 'resolved'")]

    def breached(self, due_before: int, limit: int = 200) -> list[int]:
        """Inbox conversations due before `due_before` and not yet flagged as a breach."""
        return [r[0] for r in self._q(
            "SELECT id FROM conversations WHERE bucket = 'inbox' AND sort_key < ? "
            "AND breach_flagged_at IS NULL ORDER BY sort_key, id LIMIT ?",
            (due_before, limit))]

    def flag_breach(self, conversation_id: int, at: int) -> None:
        self.db.execute("UPDATE conversations SET breach_flagged_at = ? WHERE id = ?",
                        (at, conversation_id))
