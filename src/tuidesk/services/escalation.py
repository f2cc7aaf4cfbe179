"""Provides EscalationService: escalate with a reason, the holding reply, the webhook to an
external system, the way back; and promises made to the customer and keeping them."""

from __future__ import annotations

import uuid

from tuidesk.config import DEFAULT_TARGETS, EscalationTarget
from tuidesk.errors import ActionError
from tuidesk.models import Conversation, Status
from tuidesk.services.audit import act
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.display import fill_template, safe_json
from tuidesk.services.priority import SlaPolicy
from tuidesk.services.templates import template_values
from tuidesk.store import Store


class EscalationService:
    def __init__(
        self,
        store: Store,
        agent: str,
        sla: SlaPolicy,
        clock: Clock = system_clock,
        targets: tuple[EscalationTarget, ...] = DEFAULT_TARGETS,
    ) -> None:
        self.store = store
        self.agent = agent
        self.sla = sla
        self.clock = clock
        self.targets = {t.name: t for t in targets}

    def _act(
        self,
        conversation_id: int,
        action: str,
        change: dict[str, object],
        extra: dict[str, object] | None = None,
    ) -> None:
        act(self.store, self.agent, self.sla, self.clock(), conversation_id, action, change, extra)

    def escalate(self, conversation_id: int, target: str, reason: str) -> str:
        """Escalate; a webhook target is queued for delivery. Returns the holding reply to
        offer the customer (say what will happen next), or ''."""
        if not reason.strip():
            raise ActionError("Say why you escalate: the next tier needs the reason.")
        if target not in self.targets:
            raise ActionError(f"No escalation target {target!r}: use one of "
                              f"{', '.join(self.targets)}.")
        now = self.clock()
        spec = self.targets.get(target)
        with self.store.write():
            esc = self.store.escalations.add_escalation(
                conversation_id, target, reason, self.agent, now)
            if spec is not None and spec.webhook:
                body = webhook_body(
                    spec,
                    conversation_id,
                    reason,
                    self.agent,
                    self.store.conversations.conversation(conversation_id),
                )
                self.store.escalations.enqueue_webhook(
                    esc, target, spec.webhook, body, now, str(uuid.uuid4()))
            self._act(
                conversation_id,
                "escalate",
                {"status": Status.ESCALATED},
                {"escalation_id": esc, "target": target, "reason": reason},
            )
        if spec is None or not spec.holding_reply:
            return ""
        return fill_template(
            spec.holding_reply, template_values(self.store, self.agent, conversation_id)
        )

    def close_escalation(self, conversation_id: int, outcome: str = "answered") -> None:
        """The escalation came back (answered or returned): back to the inbox."""
        with self.store.write():
            open_ids = self.store.escalations.open_escalations(conversation_id)
            if not open_ids:
                raise ActionError("No open escalation on this conversation.")
            for esc in open_ids:
                self.store.escalations.set_escalation_status(esc, outcome, self.clock())
            self._act(
                conversation_id,
                "escalation_" + outcome,
                {"status": Status.OPEN},
                {"escalations": open_ids},
            )

    def promise(self, conversation_id: int, text: str, due_at: int) -> int:
        """Record a commitment made to the customer; overdue ones come back to the queue."""
        if not text.strip():
            raise ActionError("Say what was promised.")
        with self.store.write():
            cid = self.store.escalations.add_commitment(
                conversation_id, self.agent, text, due_at, self.clock())
            self._act(
                conversation_id,
                "promise",
                {},
                {"commitment_id": cid, "text": text, "due_at": due_at},
            )
        return cid

    def keep_promise(self, conversation_id: int, commitment_id: int | None = None) -> int:
        """Mark a promise kept (by default the oldest open one); returns its id.

        Raises:
            ActionError: no such open promise on this conversation.
        """
        open_ids = self.open_promises(conversation_id)
        if commitment_id is None and open_ids:
            commitment_id = open_ids[0]
        if commitment_id is None or commitment_id not in open_ids:
            raise ActionError(
                f"No open promise {commitment_id or ''} on #{conversation_id}.".replace("  ", " ")
            )
        with self.store.write():
            self.store.escalations.complete_commitment(commitment_id, self.clock())
            self._act(conversation_id, "promise_kept", {}, {"commitment_id": commitment_id})
        return commitment_id

    def open_promises(self, conversation_id: int) -> list[int]:
        """Ids of promises on the conversation not kept yet, oldest first."""
        return [c.id for c in self.store.escalations.commitments_of(
            conversation_id) if c.done_at is None]


def webhook_body(
    spec: EscalationTarget, conversation_id: int, reason: str, agent: str, conv: Conversation | None
) -> str:
    """The JSON sent to an external system; template values are JSON-escaped."""
    last_in = [m for m in (conv.messages if conv else ()) if m.direction == "in"]
    values = {
        "conversation_id": conversation_id,
        "reason": reason,
        "agent": agent,
        "target": spec.name,
        "customer": conv.row.customer if conv else "",
        "text": last_in[-1].text if last_in else "",
        "url": (last_in[-1].url or "") if last_in else "",
    }
    if not spec.body:
        return safe_json(values, indent=None)
    # One pass: a reason typed as "{text}" stays that text, it is not filled again.
    return fill_template(
        spec.body,
        values,
        encode=lambda v: (
            safe_json(v, indent=None)[1:-1] if isinstance(v, str) else safe_json(v, indent=None)
        ),
    )
