"""Provides ReplyService: a reply from its first keystroke to the outbox, never lost.

Where a reply's text comes from when the composer opens (the agent's stored draft, a reply the
server refused, a prefill such as a holding reply), that it is saved at once (initial text
included), the "someone answered since you opened it" guard, replacing a refused copy only
once its replacement is queued, and undo bringing the text back: all of it lives here, shared
by the app and `tuidesk reply|dm`. Nothing here cancels anything when a composer merely opens.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from enum import StrEnum

from tuidesk.errors import ActionError
from tuidesk.models import LENGTH_LIMITS, ConversationRow, Draft, Status, Visibility
from tuidesk.services.audit import act
from tuidesk.services.clock import Clock, system_clock
from tuidesk.services.display import grapheme_len
from tuidesk.services.priority import SlaPolicy
from tuidesk.store import Store


class DraftSource(StrEnum):
    NEW = "new"
    DRAFT = "draft"
    """The agent's stored draft."""
    REFUSED = "refused"
    """A reply the server refused, opened to be edited."""
    PREFILL = "prefill"
    """Text offered by the desk (a holding reply after an escalation)."""


@dataclass(frozen=True, slots=True)
class ReplyDraft:
    """What the composer receives and returns."""

    conversation_id: int
    network: str
    customer: str
    brand: str
    text: str
    visibility: Visibility
    source: DraftSource = DraftSource.NEW
    refused_id: int | None = None
    """The refused outbox row this text came from: replaced once the new copy is queued."""
    opened_at: int = 0
    """When the agent started on it (others' answers since then need a confirmation)."""


class AnsweredMeanwhile(ActionError):
    """Someone else answered since the draft was opened; send only if the agent confirms."""

    title = "Answered meanwhile"

    def __init__(self, others: list[str], conversation_id: int) -> None:
        super().__init__(f"{', '.join(others)} answered #{conversation_id} since you opened "
                         "it. Send yours as well?")
        self.others = others


_URL = re.compile(r"https?://\S+")
_REMOTE_MENTION = re.compile(r"(@[\w.-]+)@[\w.-]+\.\w+")


def posted_text(network: str, customer: str, text: str) -> str:
    """The exact text a connector posts: Mastodon addresses the customer with an @mention
    unless the reply already has it (see MastodonConnector.post)."""
    mention = "@" + customer
    if network == "mastodon" and customer and mention not in text:
        return f"{mention} {text}"
    return text


def network_length(network: str, text: str) -> int:
    """Length as the network counts it, never less than the strictest reading.

    Bluesky counts graphemes. Mastodon counts a URL as 23 characters and a remote mention
    by its local part; some servers (and mastodon-mock) count plain characters. We take the
    larger of the two, so a reply we accept is accepted by both.
    """
    if network == "bluesky":
        return grapheme_len(text)
    if network == "mastodon":
        mastodon = len(_REMOTE_MENTION.sub(r"\1", _URL.sub("x" * 23, text)))
        return max(len(text), mastodon)
    return len(text)


def length_limit(network: str) -> int:
    return LENGTH_LIMITS.get(network, LENGTH_LIMITS["other"])


class ReplyService:
    def __init__(self, store: Store, agent: str, sla: SlaPolicy,
                 clock: Clock = system_clock) -> None:
        self.store = store
        self.agent = agent
        self.sla = sla
        self.clock = clock

    # -- opening and saving ------------------------------------------------------------

    def open(self, row: ConversationRow, visibility: Visibility | None = None,
             prefill: str = "", opened_at: int | None = None) -> ReplyDraft:
        """The draft the composer shows, saved at once so that closing it keeps it.

        Order: the agent's stored draft; else the latest refused reply (kept as it is until
        its replacement is queued); else `prefill`; else empty.
        """
        now = self.clock()
        default = Visibility.DIRECT if row.channel == Visibility.DIRECT else Visibility.PUBLIC
        base = ReplyDraft(row.id, row.network, row.customer, row.brand, "",
                          visibility or default,
                          opened_at=min(opened_at or now, now))
        stored = self.store.messages.draft(row.id, self.agent)
        refused = self.refused(row.id)
        if stored is not None:
            draft = replace(base, text=stored.text, source=DraftSource.DRAFT,
                            visibility=visibility or Visibility(stored.visibility),
                            refused_id=refused.id if refused is not None else None)
        elif refused is not None:
            draft = replace(base, text=refused.text, source=DraftSource.REFUSED,
                            visibility=visibility or Visibility(refused.visibility),
                            refused_id=refused.id)
        elif prefill:
            draft = replace(base, text=prefill, source=DraftSource.PREFILL)
        else:
            draft = base
        if draft.text.strip() and draft.source != DraftSource.DRAFT:
            self.save(draft)
        return draft

    def save(self, draft: ReplyDraft) -> bool:
        """Store the draft (an empty one is deleted); returns whether text is kept."""
        with self.store.write():
            if draft.text.strip():
                self.store.messages.save_draft(draft.conversation_id, self.agent, draft.text,
                                      draft.visibility, self.clock())
                return True
            self.store.messages.delete_draft(draft.conversation_id, self.agent)
            return False

    # -- what will be posted -----------------------------------------------------------

    def posted(self, draft: ReplyDraft) -> str:
        return posted_text(draft.network, draft.customer, draft.text.strip())

    def length(self, draft: ReplyDraft) -> tuple[int, int]:
        """(length as the network will count the posted text, the network's limit)."""
        return network_length(draft.network, self.posted(draft)), length_limit(draft.network)

    def check(self, draft: ReplyDraft) -> None:
        """Raises ActionError if the reply cannot be sent as it is."""
        if not draft.text.strip():
            raise ActionError("The reply is empty.")
        n, limit = self.length(draft)
        if n > limit:
            extra = " (with the @mention tuidesk adds)" if self.posted(draft) != \
                draft.text.strip() else ""
            raise ActionError(f"Too long for {draft.network}: {n}/{limit}{extra}. Shorten it.")

    # -- sending -----------------------------------------------------------------------

    def send(self, draft: ReplyDraft, confirmed: bool = False) -> int:
        """Queue the reply in the outbox; returns its id.

        Raises:
            AnsweredMeanwhile: another agent answered since the draft was opened (the text
                is kept as a draft; call again with confirmed=True to send anyway).
            ActionError: empty or too long.
        """
        self.check(draft)
        others = self.others_since(draft.conversation_id, draft.opened_at)
        if others and not confirmed:
            self.save(draft)
            raise AnsweredMeanwhile(others, draft.conversation_id)
        now = self.clock()
        with self.store.write():
            text = draft.text.strip()
            outbox_id = self.store.outbox.enqueue_reply(draft.conversation_id, text,
                                                 draft.visibility, self.agent,
                                                 str(uuid.uuid4()), now)
            self.store.messages.delete_draft(draft.conversation_id, self.agent)
            if draft.refused_id is not None:
                # Replaced only now that its replacement is queued.
                self.store.outbox.cancel_outbox(draft.refused_id, now, states=("failed",))
            state = self.store.conversations.snapshot(draft.conversation_id)
            status = state.status if state is not None else None
            # Answered: now we wait for the customer. An escalated or snoozed conversation
            # stays where it is (a holding reply does not end an escalation).
            change: dict[str, object] = {"reply_failed": 0}
            if status in ("new", "open"):
                change["status"] = Status.PENDING
            act(self.store, self.agent, self.sla, now, draft.conversation_id, "reply", change,
                {"outbox_id": outbox_id, "visibility": draft.visibility, "text": text,
                 "replaced": draft.refused_id})
        return outbox_id

    def reply(self, conversation_id: int, text: str, visibility: str = "public",
              confirmed: bool = True) -> int:
        """Queue `text` as a reply at once (the CLI's `tuidesk reply|dm`, the demo, tests).

        Raises:
            AnsweredMeanwhile: (unless confirmed) another agent already answered the
                customer's latest message.
            ActionError: no such conversation, empty or too long.
        """
        rows = self.store.conversations.rows_by_id([conversation_id])
        if not rows:
            raise ActionError(f"Conversation {conversation_id} does not exist.")
        row = rows[0]
        # Without a composer there is no "opened" time: the customer's latest message is
        # what this reply answers, so an answer from someone else after it counts.
        inputs = self.store.conversations.state_inputs(conversation_id)
        since = inputs.last_inbound_at if inputs is not None else None
        draft = ReplyDraft(row.id, row.network, row.customer, row.brand, text,
                           Visibility(visibility), opened_at=since or self.clock())
        refused = self.refused(conversation_id)
        if refused is not None:
            draft = replace(draft, refused_id=refused.id)
        return self.send(draft, confirmed)

    def stored(self, conversation_id: int) -> Draft | None:
        """This agent's saved draft for the conversation."""
        return self.store.messages.draft(conversation_id, self.agent)

    def others_since(self, conversation_id: int, since: int) -> list[str]:
        """Agents other than me who answered at or after `since`."""
        return self.store.messages.replies_since(conversation_id, since, self.agent)

    # -- refused replies ---------------------------------------------------------------

    def refused(self, conversation_id: int) -> OutboxRef | None:
        failed = [o for o in self.store.outbox.outbox_of(conversation_id) if o.state == "failed"]
        return OutboxRef(failed[-1].id, failed[-1].text, failed[-1].visibility) \
            if failed else None

    def retry(self, conversation_id: int) -> int:
        """Queue the latest refused reply again, unchanged (same idempotency key)."""
        refused = self.refused(conversation_id)
        if refused is None:
            raise ActionError("No refused reply here.")
        with self.store.write():
            if not self.store.outbox.retry_outbox(refused.id, self.clock()):
                raise ActionError("Only a refused reply can be retried.")
            act(self.store, self.agent, self.sla, self.clock(), conversation_id, "retry",
                {"reply_failed": 0}, {"outbox_id": refused.id})
        return refused.id

    def drop(self, conversation_id: int) -> None:
        """Give up on the latest refused reply (its text stays in the audit log)."""
        refused = self.refused(conversation_id)
        if refused is None:
            raise ActionError("No refused reply here.")
        with self.store.write():
            self.store.outbox.cancel_outbox(refused.id, self.clock(), states=("failed",))
            act(self.store, self.agent, self.sla, self.clock(), conversation_id, "drop_reply",
                {"reply_failed": 0}, {"outbox_id": refused.id, "text": refused.text})


@dataclass(frozen=True, slots=True)
class OutboxRef:
    id: int
    text: str
    visibility: str
