"""Escalations, promises (commitments) and the webhooks that carry escalations out."""

from __future__ import annotations

from tuidesk.models import Commitment, WebhookItem
from tuidesk.store.base import Repository

_WEBHOOK_COLUMNS = ("id, escalation_id, target, url, body, state, attempts, response_status, "
                    "last_error, created_at, idempotency_key")


class Escalations(Repository):
    """Escalations, promises made to customers, and the webhooks that carry escalations."""

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

    def add_commitment(self, conversation_id: int, agent: str, text: str, due_at: int,
                       at: int) -> int:
        return int(self._one(
            "INSERT INTO commitments (conversation_id, agent, text, due_at, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id", (conversation_id, agent, text, due_at, at)))

    def complete_commitment(self, commitment_id: int, at: int | None) -> None:
        self.db.execute("UPDATE commitments SET done_at = ? WHERE id = ?", (at, commitment_id))

    def commitments_of(self, conversation_id: int) -> list[Commitment]:
        return [Commitment(*r) for r in self._q(
            "SELECT id, conversation_id, agent, text, due_at, created_at, done_at "
            "FROM commitments WHERE conversation_id = ? ORDER BY due_at", (conversation_id,))]

    def overdue_commitments(self, now: int) -> list[Commitment]:
        """Open promises past due that have not been surfaced yet."""
        return [Commitment(*r) for r in self._q(
            "SELECT id, conversation_id, agent, text, due_at, created_at, done_at "
            "FROM commitments WHERE done_at IS NULL AND due_at <= ? AND surfaced = 0 "
            "ORDER BY due_at LIMIT 200", (now,))]

    def mark_surfaced(self, commitment_id: int) -> None:
        self.db.execute("UPDATE commitments SET surfaced = 1 WHERE id = ?", (commitment_id,))

    def due_followups(self, now: int) -> list[int]:
        return [r[0] for r in self._q(
            "SELECT id FROM conversations WHERE followup_at IS NOT NULL AND followup_at <= ? "
            "AND status = 'resolved' LIMIT 200", (now,))]

    def enqueue_webhook(self, escalation_id: int | None, target: str, url: str, body: str,
                        at: int,
                        idempotency_key: str) -> int:
        return int(self._one(
            "INSERT INTO webhooks (escalation_id, target, url, body, created_at, updated_at, "
            "idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (escalation_id, target, url, body, at, at, idempotency_key)))

    def claim_webhook(self, now: int, stale_after: int) -> WebhookItem | None:
        rows = self._q(
            f"""
            UPDATE webhooks SET state = 'sending', attempts = attempts + 1, updated_at = ?
            WHERE id = (SELECT id FROM webhooks WHERE
                (state = 'queued' AND coalesce(next_attempt_at, 0) <= ?)
                OR (state = 'sending' AND updated_at <= ?) ORDER BY id LIMIT 1)
            RETURNING {_WEBHOOK_COLUMNS}
            """, (now, now, now - stale_after))
        return WebhookItem(*rows[0]) if rows else None

    def cancel_webhooks(self, escalation_id: int, at: int) -> int:
        """Cancel an escalation's webhooks not yet handed to the network; returns how many."""
        return len(self._q(
            "UPDATE webhooks SET state = 'cancelled', updated_at = ? "
            "WHERE escalation_id = ? AND state = 'queued' RETURNING id", (at, escalation_id)))

    def finish_webhook(self, webhook_id: int, state: str, status: int | None,
                       error: str | None, at: int, next_at: int | None = None) -> None:
        self.db.execute(
            "UPDATE webhooks SET state = ?, response_status = ?, last_error = ?, updated_at = ?, "
            "next_attempt_at = ? WHERE id = ?", (state, status, error, at, next_at, webhook_id))

    def webhooks_of(self, conversation_id: int) -> list[WebhookItem]:
        columns = ", ".join("w." + c.strip() for c in _WEBHOOK_COLUMNS.split(","))
        return [WebhookItem(*r) for r in self._q(
            f"SELECT {columns} FROM webhooks w "
            "JOIN escalations e ON e.id = w.escalation_id WHERE e.conversation_id = ? "
            "ORDER BY w.id", (conversation_id,))]
