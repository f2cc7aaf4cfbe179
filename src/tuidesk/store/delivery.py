"""Provides the Store's sync and outbox state machine (queued -> sending -> sent | failed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tuidesk.models import Delivery, MessageIn, RemoteRef, SyncStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlite_utils import Database


class DeliveryMixin:
    db: Database

    def _q(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError  # Store provides it
    def _one(self, sql: str, params: Any = ()) -> Any:
        raise NotImplementedError

    # -- sync state ------------------------------------------------------------------------

    def sync_cursor(self, account: str) -> str | None:
        value = self._one("SELECT cursor FROM sync_state WHERE account = ?", (account,))
        return None if value is None else str(value)

    def record_sync(self, account: str, at: int, cursor: str | None, fetched: int) -> None:
        self.db.execute(
            "INSERT INTO sync_state (account, cursor, last_sync_at, fetched) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account) DO UPDATE SET cursor = coalesce(excluded.cursor, cursor), "
            "last_sync_at = excluded.last_sync_at, fetched = fetched + excluded.fetched, "
            "last_error = NULL",
            (account, cursor, at, fetched))

    def record_sync_error(self, account: str, at: int, error: str) -> None:
        self.db.execute(
            "INSERT INTO sync_state (account, last_error, last_error_at) VALUES (?, ?, ?) "
            "ON CONFLICT (account) DO UPDATE SET last_error = excluded.last_error, "
            "last_error_at = excluded.last_error_at", (account, error, at))

    def sync_statuses(self) -> list[SyncStatus]:
        return [SyncStatus(*r) for r in self._q(
            "SELECT account, last_sync_at, last_error, last_error_at, fetched FROM sync_state "
            "ORDER BY account")]

    # -- outbox ----------------------------------------------------------------------------

    def claim_delivery(self, senders: Sequence[tuple[str, str]], now: int, stale_after: int
                       ) -> Delivery | None:
        """Atomically move one due reply to 'sending' and return it (None if nothing is due).

        Only replies whose conversation's brand is one of `senders` ((network, handle) of the
        accounts this process holds) are taken: a reply is posted by its own brand or not at
        all, and one no account here can send stays queued for a process that can.
        A row left in 'sending' by a process that died is taken again once `stale_after`
        seconds have passed; it keeps its idempotency key, so the server sees a retry.
        """
        if not senders:
            return None
        pairs = ",".join("(?, ?)" for _ in senders)
        rows = self._q(
            f"""
            UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?
            WHERE id = (
                SELECT o.id FROM outbox o
                JOIN conversations c ON c.id = o.conversation_id
                JOIN brands b ON b.id = c.brand_id
                WHERE (o.network, b.handle) IN (VALUES {pairs}) AND (
                    (o.state = 'queued' AND coalesce(o.next_attempt_at, 0) <= ?)
                    OR (o.state = 'sending' AND o.updated_at <= ?))
                ORDER BY o.id LIMIT 1)
            RETURNING id
            """,
            (now, *[v for pair in senders for v in pair], now, now - stale_after))
        if not rows:
            return None
        return self.delivery(int(rows[0][0]))

    def delivery(self, outbox_id: int) -> Delivery | None:
        rows = self._q(
            """
            SELECT o.id, o.conversation_id, o.network, o.text, o.visibility, o.idempotency_key,
                o.created_at, o.attempts, o.in_reply_to,
                (SELECT m.raw FROM messages m WHERE m.network = o.network
                 AND m.remote_id = o.in_reply_to),
                coalesce(cu.handle, ''), coalesce(b.handle, '')
            FROM outbox o JOIN conversations c ON c.id = o.conversation_id
            LEFT JOIN customers cu ON cu.id = c.customer_id
            LEFT JOIN brands b ON b.id = c.brand_id
            WHERE o.id = ?
            """, (outbox_id,))
        return Delivery(*rows[0]) if rows else None

    def mark_sent(self, outbox_id: int, ref: RemoteRef, at: int) -> MessageIn | None:
        """Record delivery; returns the outbound message to store in the thread."""
        rows = self._q(
            """
            UPDATE outbox SET state = 'sent', remote_id = ?, updated_at = ?, last_error = NULL
            WHERE id = ? RETURNING conversation_id, network, text, visibility, agent, in_reply_to
            """, (ref.remote_id, at, outbox_id))
        if not rows:
            return None
        conv, network, text, visibility, agent, parent = rows[0]
        brand, customer = self._q(
            "SELECT coalesce(b.handle, ''), coalesce(cu.handle, '') FROM conversations c "
            "LEFT JOIN brands b ON b.id = c.brand_id "
            "LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?", (conv,))[0]
        thread = self._one("SELECT thread_key FROM conversations WHERE id = ?", (conv,))
        return MessageIn(network=network, remote_id=ref.remote_id, direction="out",
                         author=brand, text=text, created_at=at, brand=brand,
                         customer=customer, in_reply_to=parent, thread_key=thread,
                         visibility=visibility, url=ref.url, raw=ref.raw)

    def set_message_agent(self, network: str, remote_id: str, agent: str) -> None:
        self.db.execute("UPDATE messages SET agent = ? WHERE network = ? AND remote_id = ?",
                        (agent, network, remote_id))

    def outbox_conversation(self, outbox_id: int) -> int:
        return int(self._one("SELECT conversation_id FROM outbox WHERE id = ?", (outbox_id,)))

    def outbox_agent(self, outbox_id: int) -> str:
        return str(self._one("SELECT agent FROM outbox WHERE id = ?", (outbox_id,)) or "")

    def mark_failed(self, outbox_id: int, error: str, at: int) -> None:
        self.db.execute("UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? "
                        "WHERE id = ?", (error, at, outbox_id))

    def reschedule(self, outbox_id: int, error: str, at: int, next_at: int) -> None:
        self.db.execute("UPDATE outbox SET state = 'queued', last_error = ?, updated_at = ?, "
                        "next_attempt_at = ? WHERE id = ?", (error, at, next_at, outbox_id))

    def retry_outbox(self, outbox_id: int, at: int) -> bool:
        return bool(self._q("UPDATE outbox SET state = 'queued', next_attempt_at = NULL, "
                            "updated_at = ? WHERE id = ? AND state = 'failed' RETURNING id",
                            (at, outbox_id)))

    def outbox_counts(self) -> dict[str, int]:
        return {str(r[0]): int(r[1]) for r in self._q(
            "SELECT state, count(*) FROM outbox GROUP BY state")}
