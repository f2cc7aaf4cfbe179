"""Provides tuidesk's domain types: frozen dataclasses and string enums, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from tuidesk.models.figures import AgentActivity as AgentActivity
from tuidesk.models.figures import BrandFigures as BrandFigures
from tuidesk.models.figures import OldestWaiting as OldestWaiting
from tuidesk.models.figures import ResponseTimes as ResponseTimes
from tuidesk.models.state import ConversationState as ConversationState
from tuidesk.models.state import DerivedState as DerivedState
from tuidesk.models.state import Placement as Placement
from tuidesk.models.state import StateInputs as StateInputs


class Network(StrEnum):
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    TWITTER = "twitter"
    OTHER = "other"


#: Reply length limits per network, in characters (Bluesky counts graphemes).
LENGTH_LIMITS: dict[str, int] = {"mastodon": 500, "bluesky": 300, "twitter": 280, "other": 1000}


class Visibility(StrEnum):
    """Who sees a message or reply: everyone, or only the customer (a DM)."""

    PUBLIC = "public"
    DIRECT = "direct"


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


#: The queue bucket a status belongs to (one index serves each bucket's ordering).
BUCKET: dict[str, str] = {
    "new": "inbox",
    "open": "inbox",
    "pending": "pending",
    "snoozed": "snoozed",
    "escalated": "escalated",
    "resolved": "resolved",
}


class View(StrEnum):
    INBOX = "inbox"
    MINE = "mine"
    PENDING = "pending"
    ESCALATED = "escalated"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    ALL = "all"


VIEW_TITLES: dict[str, str] = {
    "inbox": "Inbox",
    "mine": "Mine",
    "pending": "Waiting",
    "escalated": "Escalated",
    "snoozed": "Snoozed",
    "resolved": "Resolved",
    "all": "All",
}

#: Priority levels: 1 is most urgent.
PRIORITY_NAMES: dict[int, str] = {1: "urgent", 2: "high", 3: "normal", 4: "low"}

#: Keyword-rule severities: what accounts.toml and --keyword say, and the priority points.
SEVERITY: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
SEVERITY_NAMES: dict[int, str] = {v: k for k, v in SEVERITY.items()}


#: The brand of a conversation no brand answered and that mentions no known brand. It is
#: not a brand: reports leave it out of the per-brand figures.
UNKNOWN_BRAND = "unknown"


@dataclass(frozen=True, slots=True)
class MessageIn:
    """A normalised message from any source (importer, connector, demo generator)."""

    network: str
    remote_id: str
    direction: str
    """'in' (from a customer) or 'out' (from the brand)."""
    author: str
    """Handle of the author (customer handle for 'in', brand handle for 'out')."""
    text: str
    created_at: int
    """Unix seconds, UTC."""
    brand: str
    """Brand handle the message is to or from."""
    customer: str = ""
    """Customer handle; for 'in' messages the author, for 'out' messages the recipient."""
    in_reply_to: str | None = None
    thread_key: str | None = None
    """Remote id that names the conversation; default: the message's own id."""
    author_name: str | None = None
    followers: int | None = None
    visibility: str = "public"
    """'public' or 'direct'."""
    url: str | None = None
    raw: str | None = None
    sentiment: float | None = None
    keyword: str | None = None
    """The keyword rule that found this post (it did not mention the brand)."""
    keyword_severity: int = 0
    """0 none, 1 low, 2 medium, 3 high."""
    responses: tuple[str, ...] = ()
    """Remote ids of the messages that answer this one, where the source lists them (TWCS
    `response_tweet_id`): they join a reply chain whose middle message is missing."""


class NewConversation(NamedTuple):
    """A conversation as ingest creates it, with its derived state: named fields across the
    seam instead of a bare 28-element tuple. A NamedTuple, not a dataclass, because the bulk
    insert takes it as it is (a dataclass and its conversion cost 5% of a 100k import)."""

    id: int
    network: str
    thread_key: str
    brand_id: int
    customer_id: int | None
    channel: str
    status: str
    bucket: str
    sort_key: int
    priority: int
    priority_reasons: str
    due_at: int | None
    created_at: int
    last_at: int
    last_inbound_at: int | None
    waiting_since: int | None
    first_response_at: int | None
    message_count: int
    inbound_count: int
    sentiment: float | None
    preview: str
    updated_at: int
    keyword: str | None
    keyword_severity: int
    first_inbound_at: int | None
    first_sentiment: float | None
    first_reply_at: int | None
    first_due_at: int | None


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """One line of the queue."""

    id: int
    network: str
    channel: str
    status: str
    priority: int
    assignee: str | None
    due_at: int | None
    created_at: int
    last_at: int | None
    customer: str
    followers: int | None
    brand: str
    preview: str
    message_count: int
    sort_key: int
    reply_failed: int = 0
    """1 while a reply the server refused waits to be resent, edited or dropped."""


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    network: str
    remote_id: str
    conversation_id: int
    direction: str
    author: str
    text: str
    created_at: int
    visibility: str
    url: str | None
    sentiment: float | None
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    network: str
    handle: str
    display_name: str | None
    followers: int | None
    first_seen: int | None
    vip: bool


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    conversation_id: int
    agent: str
    text: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Escalation:
    id: int
    conversation_id: int
    target: str
    reason: str
    agent: str
    status: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    at: int
    agent: str
    action: str
    conversation_id: int | None
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    conversation_id: int
    network: str
    visibility: str
    text: str
    agent: str
    state: str
    idempotency_key: str
    created_at: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Draft:
    conversation_id: int
    agent: str
    text: str
    visibility: str
    updated_at: int


@dataclass(frozen=True, slots=True)
class SavedReply:
    id: int
    name: str
    body: str


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation with everything the detail pane shows."""

    row: ConversationRow
    priority_reasons: str
    first_response_at: int | None
    resolved_at: int | None
    snoozed_until: int | None
    sentiment: float | None
    tags: tuple[str, ...]
    customer: Customer | None
    messages: tuple[Message, ...]
    history: tuple[Message, ...]
    """The customer's messages in their other conversations (all channels), oldest first."""
    notes: tuple[Note, ...]
    escalations: tuple[Escalation, ...]
    events: tuple[Event, ...]
    outbox: tuple[OutboxItem, ...]
    commitments: tuple[Commitment, ...] = ()
    webhooks: tuple[WebhookItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """An outbox item claimed for sending, with what a connector needs to post it."""

    outbox_id: int
    conversation_id: int
    network: str
    text: str
    visibility: str
    idempotency_key: str
    created_at: int
    attempts: int
    in_reply_to: str | None
    """Remote id of the customer message answered."""
    parent_raw: str | None
    """That message's raw payload (Bluesky needs its cid and thread root)."""
    customer: str
    brand: str


@dataclass(frozen=True, slots=True)
class RemoteRef:
    """Where a delivered reply now lives."""

    remote_id: str
    url: str | None = None
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    messages: list[MessageIn]
    cursor: str | None
    """Opaque position to resume from next time (None: keep the old one)."""
    warnings: tuple[str, ...] = ()
    """What could not be read without failing the sync (a channel's DMs, say)."""


@dataclass(frozen=True, slots=True)
class SyncStatus:
    account: str
    last_sync_at: int | None
    last_error: str | None
    last_error_at: int | None
    fetched: int
    last_item_at: int | None = None
    """When the last new message arrived through this channel."""
    failures: int = 0
    """Consecutive failed syncs (0 after a good one)."""
    unhealthy_since: int | None = None


@dataclass(frozen=True, slots=True)
class KeywordRule:
    brand: str
    """Account name the rule belongs to."""
    term: str
    """A word, phrase or #hashtag."""
    severity: int = 1


@dataclass(frozen=True, slots=True)
class Commitment:
    """A promise made to a customer ('technician visit Tue 9-12'), with its due time."""

    id: int
    conversation_id: int
    agent: str
    text: str
    due_at: int
    created_at: int
    done_at: int | None


@dataclass(frozen=True, slots=True)
class WebhookItem:
    """An escalation sent to an external system, with its delivery state."""

    id: int
    escalation_id: int | None
    """None for a channel alert."""
    target: str
    url: str
    body: str
    state: str
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: int
    idempotency_key: str = ""
    """Sent as the Idempotency-Key header on every attempt of this delivery."""


from tuidesk.models.imports import ImportReport as ImportReport  # noqa: E402  (re-export)
