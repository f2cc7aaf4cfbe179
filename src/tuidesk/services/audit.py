"""Provides act(): a conversation's state change and its audit event, in one transaction.

Every workflow (inbox actions, replies, escalations, the clocks) changes a conversation the
same way: the status change is placed in the queue by the SLA policy, tags may change, and an
append-only event records who did what with the state before and after.
"""

from __future__ import annotations

from typing import Any

from tuidesk.errors import ActionError
from tuidesk.models import StateInputs
from tuidesk.services.priority import SlaPolicy, place
from tuidesk.store import Store

#: Who automatic actions are logged as (the desk itself); no agent's undo takes them back.
SYSTEM = "system"

_INPUT_FIELDS = frozenset(StateInputs._fields)


def act(store: Store, agent: str, sla: SlaPolicy, now: int, conversation_id: int,
        action: str, change: dict[str, Any], extra: dict[str, Any] | None = None,
        tags: list[str] | None = None) -> None:
    """Apply `change` and write the event; call inside `store.write()`.

    Raises:
        ActionError: the conversation does not exist.
    """
    before = store.conversations.snapshot(conversation_id)
    if before is None:
        raise ActionError(f"Conversation {conversation_id} does not exist.")
    if "status" in change:
        inputs = store.conversations.state_inputs(conversation_id)
        assert inputs is not None  # it exists: its snapshot was just read
        inputs = inputs._replace(**{k: v for k, v in change.items() if k in _INPUT_FIELDS})
        change = change | place(change["status"], inputs, inputs.priority, sla)._asdict()
    store.conversations.update_conversation(conversation_id, change, now)
    if tags is not None:
        store.conversations.set_tags(conversation_id, tags)
    after = store.conversations.snapshot(conversation_id)
    store.audit.add_event(agent, action, conversation_id, before, after, now, extra)
