"""Conversation state across the store/service seam: snapshots, SLA inputs, placements."""

from __future__ import annotations

from typing import NamedTuple


class ConversationState(NamedTuple):
    """A conversation's mutable state: what an action changes, what undo restores, and what
    the audit log records before and after (as `_asdict()`)."""

    status: str
    bucket: str
    sort_key: int
    assignee: str | None
    snoozed_until: int | None
    resolved_at: int | None
    due_at: int | None
    priority: int
    priority_reasons: str | None
    followup_at: int | None
    reply_failed: int
    tags: tuple[str, ...]


class StateInputs(NamedTuple):
    """What the SLA policy needs to place a conversation and score its priority. Read from
    the store (one row per conversation) or built by ingest before the row exists."""

    id: int
    status: str
    assignee: str | None
    created_at: int
    last_at: int | None
    last_inbound_at: int | None
    waiting_since: int | None
    first_response_at: int | None
    resolved_at: int | None
    snoozed_until: int | None
    sentiment: float | None
    followers: int | None
    vip: int
    priority: int = 3
    reasons: str | None = None
    due_at: int | None = None
    repeat: int = 0
    last_out: int | None = None
    inbound_count: int = 0
    keyword: str | None = None
    keyword_severity: int = 0
    first_inbound_at: int | None = None


class Placement(NamedTuple):
    """Where a conversation sits in the queue for its status: bucket, sort key, due time."""

    bucket: str
    sort_key: int
    due_at: int | None


class DerivedState(NamedTuple):
    """A conversation's state derived after messages arrived (column order of the update)."""

    id: int
    status: str
    bucket: str
    sort_key: int
    priority: int
    reasons: str
    due_at: int | None
    resolved_at: int | None
    first_due_at: int | None
