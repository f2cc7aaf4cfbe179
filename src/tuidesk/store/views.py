"""The queue's views, row shape and search syntax: defined once, shared by pages and counts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tuidesk.models import ConversationRow, View

#: Each view once: (condition on the bucket, whose conversations, key column, descending?).
#: Whose: "nobody-or-me", "me", or None for anyone. Each view is served by one index:
#: conv_bucket (bucket, sort_key, id), conv_assignee (assignee, sort_key, id), conv_last.
VIEW_SPEC: dict[str, tuple[str | None, str | None, str, bool]] = {
    View.INBOX: ("= 'inbox'", "nobody-or-me", "c.sort_key", False),
    View.MINE: ("!= 'resolved'", "me", "c.sort_key", False),
    View.PENDING: ("= 'pending'", None, "c.sort_key", False),
    View.ESCALATED: ("= 'escalated'", None, "c.sort_key", False),
    View.SNOOZED: ("= 'snoozed'", None, "c.sort_key", False),
    View.RESOLVED: ("= 'resolved'", None, "c.sort_key", False),
    View.ALL: (None, None, "c.last_at", True),
}


def view_where(view: str, counts: bool = False) -> str:
    """The WHERE clause of a view over conversations, or (counts) over view_counts, whose
    assignee is '' for nobody. Both come from VIEW_SPEC, so a view and its count agree."""
    bucket, whose, _, _ = VIEW_SPEC[view]
    parts = []
    if whose == "me":
        parts.append("c.assignee = :agent")
    if bucket is not None:
        parts.append(f"c.bucket {bucket}")
    if whose == "nobody-or-me":
        parts.append("c.assignee IN ('', :agent)" if counts
                     else "(c.assignee IS NULL OR c.assignee = :agent)")
    return " AND ".join(parts) or "1"


#: view -> (WHERE clause, key column, descending?), for the pages.
VIEWS: dict[str, tuple[str, str, bool]] = {
    v: (view_where(v), spec[2], spec[3]) for v, spec in VIEW_SPEC.items()}


#: The same views over view_counts (bucket, assignee with '' for nobody, n).
COUNT_WHERE: dict[str, str] = {v: view_where(v, counts=True) for v in VIEW_SPEC}


ROW_SELECT = """
SELECT c.id, c.network, c.channel, c.status, c.priority, c.assignee, c.due_at, c.created_at,
    c.last_at, coalesce(cu.handle, ''), cu.followers, coalesce(b.handle, ''), c.preview,
    c.message_count, c.sort_key, c.reply_failed
FROM conversations c
LEFT JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN brands b ON b.id = c.brand_id
"""


MESSAGE_COLS = (
    "id, network, remote_id, conversation_id, direction, author, text, created_at, visibility, "
    "url, sentiment, agent"
)


_FTS_OPERATORS = re.compile(r'["*():^]|\b(AND|OR|NOT|NEAR)\b')


Key = tuple[int, int]


def _row(r: Sequence[Any]) -> ConversationRow:
    return ConversationRow(*r)


def fts_query(text: str) -> str:
    """Turn what an agent typed into an FTS5 query.

    Plain words become quoted phrases ANDed together (each matches its stem: `refund` finds
    "refunded"), so `can't log` just works; input that uses FTS5 syntax (quotes, AND/OR/NOT,
    `prefix*`, column:) is passed as is.
    """
    text = text.strip()
    if _FTS_OPERATORS.search(text):
        return text
    return literal_query(text)


def literal_query(text: str) -> str:
    """Every word as written, none an operator: what a query that is not valid FTS5 syntax
    (`ETA: tomorrow`, a lone `*`, `NOT`, `(`, an unclosed quote) searches for instead of
    failing with SQLite's own message."""
    words = [w.replace('"', "") for w in text.split() if w.replace('"', "")]
    return " ".join(f'"{w}"' for w in words)
