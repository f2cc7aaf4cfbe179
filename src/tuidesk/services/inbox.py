"""Provides InboxService: the queue, conversation detail and every agent action, audited."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from tuidesk.config import DEFAULT_TARGETS, EscalationTarget
from tuidesk.errors import ActionError
from tuidesk.models import (
    VIEW_TITLES,
    Conversation,
    ConversationRow,
    Event,
    SavedReply,
    Status,
)
from tuidesk.models.views import BUILTIN_NAMES, ViewFilter
from tuidesk.services.audit import act
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.priority import SlaPolicy
from tuidesk.services.templates import template_values
from tuidesk.store import Store

#: What prepare_search looks for: a word for messages_fts, a run for messages_chars.
PREPARE_QUERY = "tuidesk 検索"
#: Seconds a best-effort write from the app (a presence heartbeat, its tick of the clocks)
#: waits for another agent's write lock before it gives up until its next turn.
BEST_EFFORT_WAIT = 0.05

Key = tuple[int, int]


class InboxService:
    """What the UI and CLI call; it never returns rows, only models."""

    senders: frozenset[tuple[str, str]] = frozenset()
    """(network, brand handle) of the accounts that can post here; set by open_services."""

    def can_send(self, row: ConversationRow) -> bool:
        """Whether a reply to this conversation can be delivered by its own brand's account."""
        return (row.network, row.brand) in self.senders

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

    roster: tuple[str, ...] = ()
    """The team as config.toml lists it (`agents = [...]`)."""
    saved_views: dict[str, ViewFilter] = {}
    """Saved views by name (config.toml [views.NAME]); set by open_services."""

    def view_names(self) -> list[str]:
        """Every view by the name people type: the built-in ones as the app shows them
        (Waiting, not pending), then the saved ones."""
        return ["inbox", "mine", "waiting", "escalated", "snoozed", "resolved", "all",
                *self.saved_views]

    def view_named(self, name: str) -> str | None:
        """The view a name means ('waiting' is the pending view; a saved view's name), or
        None if there is none by that name."""
        name = name.strip().lower()
        builtin = BUILTIN_NAMES.get(name)
        if builtin is not None:
            return builtin
        for key, title in VIEW_TITLES.items():  # the app's own titles work too
            if title.lower() == name:
                return key
        return name if name in self.saved_views else None

    def _saved(self, view: str) -> ViewFilter | None:
        saved = self.saved_views.get(view)
        if saved is not None and saved.overdue:
            saved = replace(saved, now=self.clock())
        return saved

    def page(self, view: str, after: Key | None = None, limit: int = 100) -> list[ConversationRow]:
        saved = self._saved(view)
        if saved is not None:
            return self.store.saved_views.page(saved, self.agent, after, limit)
        return self.store.conversations.page(view, self.agent, after, limit)

    def page_before(self, view: str, before: Key | None = None,
                    limit: int = 100) -> list[ConversationRow]:
        saved = self._saved(view)
        if saved is not None:
            return self.store.saved_views.page(saved, self.agent, before, limit,
                                               backwards=True)
        return self.store.conversations.page_before(view, self.agent, before, limit)

    def page_at(self, view: str, offset: int, limit: int = 100) -> list[ConversationRow]:
        saved = self._saved(view)
        if saved is not None:
            return self.store.saved_views.page_at(saved, self.agent, offset, limit)
        return self.store.conversations.page_at(view, self.agent, offset, limit)

    def count(self, view: str) -> int:
        """Conversations in a view (a saved view is counted up to COUNT_CAP; more: cap + 1)."""
        saved = self._saved(view)
        if saved is not None:
            return self.store.saved_views.count(saved, self.agent)
        return self.store.conversations.count(view, self.agent)

    def key_of(self, view: str, row: ConversationRow) -> Key:
        saved = self.saved_views.get(view)
        if saved is not None:
            return self.store.saved_views.key_of(saved, row)
        return self.store.conversations.key_of(view, row)

    def search(self, text: str, limit: int = 500) -> list[ConversationRow]:
        return self.store.conversations.search(text, limit)

    def search_ids(self, text: str, limit: int = 500) -> list[int]:
        return self.store.conversations.search_ids(text, limit)

    def search_hits(self, text: str, batch: int = 100) -> SearchHits:
        """Matching conversations, fetched a batch at a time (see SearchHits)."""
        return SearchHits(self.store, text, batch)

    def prepare_search(self) -> None:
        """Open both full-text tables on this connection before the first search needs them.

        The first MATCH on a connection took 13-14 ms more than the next one (2k messages,
        a real process in a pty), and the first `/` Enter of a session waited for it. Done
        here, at start, for a word nothing holds, it takes 0.6-2.7 ms (more when the file
        is not in the OS cache: 106 ms at 10M). One word in each script family reads both
        tables' structure and the top of their indexes.
        """
        self.store.conversations.search_page(PREPARE_QUERY, None, 1)

    def assigned_ids(self, agent: str) -> list[int]:
        return self.store.conversations.assigned_ids(agent)

    def rows(self, ids: list[int]) -> list[ConversationRow]:
        return self.store.conversations.rows_by_id(ids)

    def conversation(self, conversation_id: int) -> Conversation | None:
        return self.store.conversations.conversation(conversation_id)

    def template_values(self, conversation_id: int, brand_name: str = "") -> dict[str, str]:
        """Values for {customer}, {agent}, {brand} in saved replies."""
        return template_values(self.store, self.agent, conversation_id, brand_name)

    def row(self, conversation_id: int) -> ConversationRow | None:
        rows = self.store.conversations.rows_by_id([conversation_id])
        return rows[0] if rows else None


    def saved_replies(self) -> list[SavedReply]:
        return self.store.team.saved_replies()

    def events(self, conversation_id: int | None = None, limit: int = 1000) -> list[Event]:
        return self.store.audit.events(conversation_id=conversation_id, limit=limit)

    def stats(self) -> dict[str, int]:
        return self.store.conversations.stats()

    def outbox_counts(self) -> dict[str, int]:
        return self.store.outbox.outbox_counts()

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
            before = self.store.conversations.snapshot(conversation_id)
            holder = self.store.conversations.claim(conversation_id, self.agent, self.clock(),
                                      force=self.is_supervisor)
            if holder is not None:
                raise ActionError(f"Already claimed by {holder}. Only a supervisor can take "
                                  "it over.", "Claimed")
            after = self.store.conversations.snapshot(conversation_id)
            self.store.audit.add_event(self.agent, "claim", conversation_id, before, after,
                                 self.clock())

    def assign(self, conversation_id: int, agent: str | None) -> None:
        """Hand a conversation to an agent (None: unassign).

        Raises:
            ActionError: it is held by someone else and you are not a supervisor.
        """
        with self.store.write():
            state = self.store.conversations.snapshot(conversation_id)
            holder = state.assignee if state is not None else None
            if holder not in (None, self.agent) and not self.is_supervisor:
                raise ActionError(f"{holder} holds #{conversation_id}; only a supervisor can "
                                  "reassign it.", "Claimed")
            self._act(conversation_id, "assign" if agent else "unassign", {"assignee": agent})

    def set_tags(self, conversation_id: int, tags: list[str]) -> None:
        clean = sorted({t.strip().lstrip("#").lower() for t in tags if t.strip().lstrip("#")})
        with self.store.write():
            self._act(conversation_id, "tag", {}, tags=clean)

    def change_tags(self, conversation_id: int, add: list[str], remove: list[str]) -> None:
        """Add and remove tags, keeping the others (`:tag billing` on marked rows)."""
        current = set(self.store.conversations.tags_of(conversation_id))
        gone = {t.strip().lstrip("#").lower() for t in remove}
        self.set_tags(conversation_id, [*(current - gone), *add])

    def known_tags(self, prefix: str = "") -> list[str]:
        return self.store.team.known_tags(prefix.strip().lstrip("#").lower())

    def known_agents(self) -> list[str]:
        """Agents who acted here, hold conversations, have the app open or are supervisors."""
        return sorted({*self.store.team.known_agents(), *self.supervisors, *self.roster,
                       self.agent})

    def note(self, conversation_id: int, text: str) -> None:
        if not text.strip():
            raise ActionError("A note needs some text.")
        with self.store.write():
            note_id = self.store.messages.add_note(conversation_id, self.agent, text, self.clock())
            self._act(conversation_id, "note", {}, {"note_id": note_id, "text": text})

    def snooze(self, conversation_id: int, until: int) -> None:
        if until <= self.clock():
            raise ActionError("Snooze until a time in the future.")
        with self.store.write():
            self._act(conversation_id, "snooze",
                      {"status": Status.SNOOZED, "snoozed_until": until})


    def heartbeat(self, conversation_id: int | None, activity: str = "viewing") -> None:
        """Say what I am looking at (or drafting); others see it for PRESENCE_TTL seconds."""
        # Best effort: behind another agent's long write (an import, a stuck process) the
        # app waited the whole busy timeout, 10 s, on its main thread, at start and on
        # every conversation it showed. The next heartbeat tries again.
        with self.store.write(wait=BEST_EFFORT_WAIT):
            self.store.team.heartbeat(self.agent, conversation_id, activity, self.clock())

    def presence(self, conversation_id: int) -> str:
        """'sam (drafting), kim (viewing)' for other agents on this conversation."""
        others = self.store.team.present(conversation_id, self.clock() - self.PRESENCE_TTL,
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
            inputs = self.store.conversations.state_inputs(conversation_id)
            waiting = inputs is not None and inputs.waiting_since is not None
            self._act(conversation_id, "reopen",
                      {"status": Status.OPEN if waiting else Status.PENDING,
                       "resolved_at": None, "snoozed_until": None})

    def set_brand_name(self, network: str, handle: str, name: str) -> None:
        with self.store.write():
            self.store.channels.set_brand_name(network, handle, name)

    def add_saved_reply(self, name: str, body: str) -> None:
        """Add (or replace) a saved reply shared by everyone on this database."""
        if not name.strip() or not body.strip():
            raise ActionError("A saved reply needs a name and a text.")
        with self.store.write():
            self.store.team.add_saved_reply(name.strip(), body)

    def remove_saved_reply(self, name: str) -> None:
        with self.store.write():
            if not self.store.team.remove_saved_reply(name):
                raise ActionError(f"No saved reply named {name!r}.")

    def undo(self) -> tuple[int, str]:
        """Undo this agent's most recent action not yet undone: one conversation's, or every
        conversation of a bulk action.

        Returns:
            (conversation id, what was undone).

        Raises:
            ActionError: there is nothing to undo, or the reply has already been sent.
        """
        with self.store.write():
            event = self.store.audit.last_undoable_event(self.agent)
            if event is None:
                raise ActionError("Nothing to undo.")
            events = self.store.audit.batch_events(self.agent, event)
            now = self.clock()
            for one in events:
                self._undo_event(one, now)
        cid = events[-1].conversation_id
        assert cid is not None
        if len(events) > 1:
            return cid, f"Undid {event.action} on {len(events)} conversations"
        if event.action == "reply":
            return cid, f"Undid reply on #{cid}: its text is back as your draft"
        return cid, f"Undid {event.action} on #{cid}"

    def _undo_event(self, event: Event, now: int) -> None:
        before = json.loads(event.before or "{}")
        after = json.loads(event.after or "{}")
        cid = event.conversation_id
        assert cid is not None
        if event.action == "note":
            self.store.messages.delete_note(after["note_id"])
        elif event.action == "escalate":
            self.store.escalations.set_escalation_status(
                after["escalation_id"], "cancelled", now)
            # Its ticket is not opened either (unless it is already on its way).
            self.store.escalations.cancel_webhooks(after["escalation_id"], now)
        elif event.action == "reply":
            if not self.store.outbox.cancel_outbox(after["outbox_id"], now, states=("queued",)):
                raise ActionError("That reply is already being delivered; it cannot be "
                                  "undone.")
            # Its text comes back as my draft, to edit or send later.
            self.store.messages.save_draft(cid, self.agent, after["text"],
                                           after.get("visibility", "public"), now)
        current = self.store.conversations.snapshot(cid)
        self.store.conversations.update_conversation(cid, before, now)
        self.store.conversations.set_tags(cid, before.get("tags", []))
        self.store.audit.add_event(self.agent, "undo", cid, current,
                                   self.store.conversations.snapshot(cid), now,
                                   {"undid": event.id, "action": event.action})


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
            ids, self._before = self.store.conversations.search_page(
                self.text, self._before, self.batch)
            self.done = self._before is None
            fresh = [cid for cid in dict.fromkeys(ids) if cid not in self._seen]
            if fresh:
                self._seen.update(fresh)
                return fresh
        return []
