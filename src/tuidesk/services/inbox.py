"""Provides InboxService: the queue, conversation detail and every agent action, audited."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tuidesk.config import DEFAULT_TARGETS, EscalationTarget
from tuidesk.errors import ActionError
from tuidesk.models import (
    Conversation,
    ConversationRow,
    Event,
    SavedReply,
    Status,
)
from tuidesk.services.audit import act
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.display import fill_template, safe_json
from tuidesk.services.priority import SlaPolicy
from tuidesk.store import Store

Key = tuple[int, int]


class InboxService:
    """What the UI and CLI call; it never returns rows, only models."""

    senders: frozenset[tuple[str, str]] = frozenset()
    """(network, brand handle) of the accounts that can post here; set by open_services."""

    def can_send(self, row: ConversationRow) -> bool:
        """Whether a reply to this conversation can be delivered by its own brand's account."""
        return (row.network, row.brand) in self.senders
    """Networks whose outbox is delivered by a connector; replies to others stay queued."""

    #: Heartbeats older than this no longer count as presence.
    PRESENCE_TTL = 20

    def __init__(self, store: Store, agent: str, sla: SlaPolicy | None = None,
                 clock: Clock = system_clock, supervisors: tuple[str, ...] = (),
                 followup_days: int = 0,
                 targets: tuple[EscalationTarget, ...] = DEFAULT_TARGETS) -> None:
        self.store = store
        self.agent = agent
        self.sla = sla or SlaPolicy()
        self.clock = clock
        self.supervisors = supervisors
        self.followup_days = followup_days
        self.targets = {t.name: t for t in targets}

    @property
    def is_supervisor(self) -> bool:
        return self.agent in self.supervisors

    # -- reading ---------------------------------------------------------------------------

    def page(self, view: str, after: Key | None = None, limit: int = 100) -> list[ConversationRow]:
        return self.store.page(view, self.agent, after, limit)

    def page_before(self, view: str, before: Key | None = None,
                    limit: int = 100) -> list[ConversationRow]:
        return self.store.page_before(view, self.agent, before, limit)

    def page_at(self, view: str, offset: int, limit: int = 100) -> list[ConversationRow]:
        return self.store.page_at(view, self.agent, offset, limit)

    def count(self, view: str) -> int:
        return self.store.count(view, self.agent)

    def key_of(self, view: str, row: ConversationRow) -> Key:
        return self.store.key_of(view, row)

    def search(self, text: str, limit: int = 500) -> list[ConversationRow]:
        return self.store.search(text, limit)

    def search_ids(self, text: str, limit: int = 500) -> list[int]:
        return self.store.search_ids(text, limit)

    def search_hits(self, text: str, batch: int = 100) -> SearchHits:
        """Matching conversations, fetched a batch at a time (see SearchHits)."""
        return SearchHits(self.store, text, batch)

    def assigned_ids(self, agent: str) -> list[int]:
        return self.store.assigned_ids(agent)

    def rows(self, ids: list[int]) -> list[ConversationRow]:
        return self.store.rows_by_id(ids)

    def conversation(self, conversation_id: int) -> Conversation | None:
        return self.store.conversation(conversation_id)

    def row(self, conversation_id: int) -> ConversationRow | None:
        rows = self.store.rows_by_id([conversation_id])
        return rows[0] if rows else None

    def template_values(self, conversation_id: int, brand_name: str = "") -> dict[str, str]:
        """Values for {customer}, {agent}, {brand} in saved replies."""
        conv = self.store.conversation(conversation_id)
        if conv is None:
            return {"agent": self.agent}
        customer = (conv.customer.display_name if conv.customer else None) or conv.row.customer
        brand = brand_name or self.store.brand_name(conv.row.network, conv.row.brand) \
            or conv.row.brand
        return {"customer": customer, "agent": self.agent, "brand": brand}

    def saved_replies(self) -> list[SavedReply]:
        return self.store.saved_replies()

    def all_tags(self) -> list[str]:
        return self.store.all_tags()

    def events(self, conversation_id: int | None = None, limit: int = 1000) -> list[Event]:
        return self.store.events(conversation_id=conversation_id, limit=limit)

    def stats(self) -> dict[str, int]:
        return self.store.stats()

    def outbox_counts(self) -> dict[str, int]:
        return self.store.outbox_counts()

    def data_version(self) -> int:
        return self.store.data_version()

    # -- actions ---------------------------------------------------------------------------

    def _act(self, conversation_id: int, action: str, change: dict[str, Any],
             extra: dict[str, Any] | None = None, tags: list[str] | None = None) -> None:
        """Apply a state change and its audit event (inside the caller's transaction)."""
        act(self.store, self.agent, self.sla, self.clock(), conversation_id, action, change,
            extra, tags)

    def claim(self, conversation_id: int) -> None:
        """Take the conversation; of two agents claiming at once exactly one wins.

        Raises:
            ActionError: another agent holds it (the message names them).
        """
        with self.store.write():
            before = self.store.snapshot(conversation_id)
            holder = self.store.claim(conversation_id, self.agent, self.clock(),
                                      force=self.is_supervisor)
            if holder is not None:
                raise ActionError(f"Already claimed by {holder}. Only a supervisor can take "
                                  "it over.", "Claimed")
            after = self.store.snapshot(conversation_id)
            self.store.add_event(self.agent, "claim", conversation_id, before, after,
                                 self.clock())

    def assign(self, conversation_id: int, agent: str | None) -> None:
        """Hand a conversation to an agent (None: unassign).

        Raises:
            ActionError: it is held by someone else and you are not a supervisor.
        """
        with self.store.write():
            holder = (self.store.snapshot(conversation_id) or {}).get("assignee")
            if holder not in (None, self.agent) and not self.is_supervisor:
                raise ActionError(f"{holder} holds #{conversation_id}; only a supervisor can "
                                  "reassign it.", "Claimed")
            self._act(conversation_id, "assign" if agent else "unassign", {"assignee": agent})

    def set_tags(self, conversation_id: int, tags: list[str]) -> None:
        clean = sorted({t.strip().lstrip("#").lower() for t in tags if t.strip().lstrip("#")})
        with self.store.write():
            self._act(conversation_id, "tag", {}, tags=clean)

    def note(self, conversation_id: int, text: str) -> None:
        if not text.strip():
            raise ActionError("A note needs some text.")
        with self.store.write():
            note_id = self.store.add_note(conversation_id, self.agent, text, self.clock())
            self._act(conversation_id, "note", {}, {"note_id": note_id, "text": text})

    def snooze(self, conversation_id: int, until: int) -> None:
        if until <= self.clock():
            raise ActionError("Snooze until a time in the future.")
        with self.store.write():
            self._act(conversation_id, "snooze",
                      {"status": Status.SNOOZED, "snoozed_until": until})

    def escalate(self, conversation_id: int, target: str, reason: str) -> str:
        """Escalate; a webhook target is queued for delivery. Returns the holding reply to
        offer the customer (say what will happen next), or ''."""
        if not reason.strip():
            raise ActionError("Say why you escalate: the next tier needs the reason.")
        now = self.clock()
        spec = self.targets.get(target)
        with self.store.write():
            esc = self.store.add_escalation(conversation_id, target, reason, self.agent, now)
            if spec is not None and spec.webhook:
                body = webhook_body(spec, conversation_id, reason, self.agent,
                                    self.store.conversation(conversation_id))
                self.store.enqueue_webhook(esc, target, spec.webhook, body, now,
                                           str(uuid.uuid4()))
            self._act(conversation_id, "escalate", {"status": Status.ESCALATED},
                      {"escalation_id": esc, "target": target, "reason": reason})
        if spec is None or not spec.holding_reply:
            return ""
        return fill_template(spec.holding_reply, self.template_values(conversation_id))

    def close_escalation(self, conversation_id: int, outcome: str = "answered") -> None:
        """The escalation came back (answered or returned): back to the inbox."""
        with self.store.write():
            open_ids = self.store.open_escalations(conversation_id)
            if not open_ids:
                raise ActionError("No open escalation on this conversation.")
            for esc in open_ids:
                self.store.set_escalation_status(esc, outcome, self.clock())
            self._act(conversation_id, "escalation_" + outcome, {"status": Status.OPEN},
                      {"escalations": open_ids})

    def promise(self, conversation_id: int, text: str, due_at: int) -> int:
        """Record a commitment made to the customer; overdue ones come back to the queue."""
        if not text.strip():
            raise ActionError("Say what was promised.")
        with self.store.write():
            cid = self.store.add_commitment(conversation_id, self.agent, text, due_at,
                                            self.clock())
            self._act(conversation_id, "promise", {}, {"commitment_id": cid, "text": text,
                                                       "due_at": due_at})
        return cid

    def keep_promise(self, commitment_id: int, conversation_id: int) -> None:
        with self.store.write():
            self.store.complete_commitment(commitment_id, self.clock())
            self._act(conversation_id, "promise_kept", {}, {"commitment_id": commitment_id})

    def heartbeat(self, conversation_id: int | None, activity: str = "viewing") -> None:
        """Say what I am looking at (or drafting); others see it for PRESENCE_TTL seconds."""
        with self.store.write():
            self.store.heartbeat(self.agent, conversation_id, activity, self.clock())

    def presence(self, conversation_id: int) -> str:
        """'sam (drafting), kim (viewing)' for other agents on this conversation."""
        others = self.store.present(conversation_id, self.clock() - self.PRESENCE_TTL,
                                    self.agent)
        return ", ".join(f"{a} ({activity})" for a, activity in others)

    def resolve(self, conversation_id: int) -> None:
        now = self.clock()
        followup = now + self.followup_days * 86400 if self.followup_days else None
        with self.store.write():
            self._act(conversation_id, "resolve",
                      {"status": Status.RESOLVED, "resolved_at": now, "snoozed_until": None,
                       "followup_at": followup})

    def reopen(self, conversation_id: int) -> None:
        with self.store.write():
            inputs = self.store.state_inputs(conversation_id) or {}
            waiting = inputs.get("waiting_since") is not None
            self._act(conversation_id, "reopen",
                      {"status": Status.OPEN if waiting else Status.PENDING,
                       "resolved_at": None, "snoozed_until": None})

    def wake_due(self) -> list[int]:
        """Bring back what is due: ended snoozes, satisfaction follow-ups, broken promises."""
        woken = self.wake_snoozed()
        now = self.clock()
        for cid in self.store.due_followups(now):
            with self.store.write():
                tags = sorted(set(self.store.tags_of(cid)) | {"follow-up"})
                self._act(cid, "follow_up", {"status": Status.OPEN, "resolved_at": None,
                                             "followup_at": None}, tags=tags)
                self.store.add_note(cid, "tuidesk", "Satisfaction follow-up: ask the customer "
                                    "whether the fix held and how we did.", now)
            woken.append(cid)
        for c in self.store.overdue_commitments(now):
            with self.store.write():
                tags = sorted(set(self.store.tags_of(c.conversation_id)) | {"promise-overdue"})
                self.store.mark_surfaced(c.id)
                self._act(c.conversation_id, "promise_overdue",
                          {"status": Status.OPEN, "resolved_at": None, "snoozed_until": None},
                          {"commitment_id": c.id, "text": c.text}, tags=tags)
            woken.append(c.conversation_id)
        return woken

    def wake_snoozed(self) -> list[int]:
        """Return conversations whose snooze has ended to the inbox, flagged 'snooze-ended'."""
        now = self.clock()
        woken = []
        for row in self.store.page("snoozed", self.agent, None, 200):
            if row.sort_key > now:
                break
            with self.store.write():
                tags = sorted(set(self.store.tags_of(row.id)) | {"snooze-ended"})
                self._act(row.id, "wake", {"status": Status.OPEN, "snoozed_until": None},
                          tags=tags)
            woken.append(row.id)
        return woken

    def set_brand_name(self, network: str, handle: str, name: str) -> None:
        with self.store.write():
            self.store.set_brand_name(network, handle, name)

    def add_saved_reply(self, name: str, body: str) -> None:
        with self.store.write():
            self.store.add_saved_reply(name, body)

    def undo(self) -> tuple[int, str]:
        """Undo this agent's most recent action not yet undone.

        Returns:
            (conversation id, what was undone).

        Raises:
            ActionError: there is nothing to undo, or the reply has already been sent.
        """
        with self.store.write():
            event = self.store.last_undoable_event(self.agent)
            if event is None:
                raise ActionError("Nothing to undo.")
            before = json.loads(event.before or "{}")
            after = json.loads(event.after or "{}")
            cid = event.conversation_id
            assert cid is not None
            now = self.clock()
            if event.action == "note":
                self.store.delete_note(after["note_id"])
            elif event.action == "escalate":
                self.store.set_escalation_status(after["escalation_id"], "cancelled", now)
                # Its ticket is not opened either (unless it is already on its way).
                self.store.cancel_webhooks(after["escalation_id"], now)
            elif event.action == "reply":
                if not self.store.cancel_outbox(after["outbox_id"], now, states=("queued",)):
                    raise ActionError("That reply is already being delivered; it cannot be "
                                      "undone.")
                # Its text comes back as my draft, to edit or send later.
                self.store.save_draft(cid, self.agent, after["text"],
                                      after.get("visibility", "public"), now)
            current = self.store.snapshot(cid)
            self.store.update_conversation(cid, before, now)
            self.store.set_tags(cid, before.get("tags", []))
            self.store.add_event(self.agent, "undo", cid, current,
                                 (self.store.snapshot(cid) or {}) | {"undid": event.id,
                                                                     "action": event.action},
                                 now)
        return cid, f"Undid {event.action} on #{cid}"


def webhook_body(spec: EscalationTarget, conversation_id: int, reason: str, agent: str,
                 conv: Conversation | None) -> str:
    """The JSON sent to an external system; template values are JSON-escaped."""
    last_in = [m for m in (conv.messages if conv else ()) if m.direction == "in"]
    values = {"conversation_id": conversation_id, "reason": reason, "agent": agent,
              "target": spec.name, "customer": conv.row.customer if conv else "",
              "text": last_in[-1].text if last_in else "",
              "url": (last_in[-1].url or "") if last_in else ""}
    if not spec.body:
        return safe_json(values, indent=None)
    # One pass: a reason typed as "{text}" stays that text, it is not filled again.
    return fill_template(spec.body, values, encode=lambda v: safe_json(v, indent=None)[1:-1]
                         if isinstance(v, str) else safe_json(v, indent=None))


class SearchHits:
    """Conversation ids matching a search, most recent match first, in batches of new ids.

    Each batch costs a keyset page of the full-text index, so the first screen of results
    costs the same whether 10 or 100,000 messages match.
    """

    def __init__(self, store: Store, text: str, batch: int = 100) -> None:
        self.store = store
        self.text = text
        self.batch = batch
        self.done = False
        """No more ids will come."""
        self._before: int | None = None
        self._seen: set[int] = set()

    def next_batch(self) -> list[int]:
        """Ids not returned before ([] once done).

        Raises:
            QueryError: the query is not valid FTS5 syntax (on the first call).
        """
        while not self.done:
            ids, self._before = self.store.search_page(self.text, self._before, self.batch)
            self.done = self._before is None
            fresh = [cid for cid in dict.fromkeys(ids) if cid not in self._seen]
            if fresh:
                self._seen.update(fresh)
                return fresh
        return []
