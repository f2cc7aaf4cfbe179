"""The outbox: queued replies and their delivery state machine."""

from __future__ import annotations

from collections.abc import Sequence

from tuidesk.models import Delivery, MessageIn, OutboxItem, RemoteRef
from tuidesk.store.base import Repository


class Outbox(Repository):
    """Queued replies and their delivery state machine (queued → sending → sent | failed)."""

    def outbox_of(self, conversation_id: int) -> list[OutboxItem]:
        return [OutboxItem(*r) for r in self._q(
            "SELECT id, conversation_id, network, visibility, text, agent, state, "
            "idempotency_key, created_at, last_error FROM outbox WHERE conversation_id = ? "
            "ORDER BY id", (conversation_id,))]

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
