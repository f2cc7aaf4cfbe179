"""Saved views: pages and counts of a ViewFilter, at the built-in views' speed.

A filter spans several queue buckets (Overdue: the inbox and escalations; a tag: all five),
and one query over `bucket IN (...)` cannot read conv_bucket (bucket, sort_key, id) in order:
SQLite sorted every match (0.85 s for an overdue view at 1M). Instead each bucket is a
branch of a UNION ALL read in index order, and SQLite merges the branches, stopping at the
page's last row. A rare tag drives the query from tags_by_tag instead (a few index probes
and a small sort) where scanning a bucket for it read every row (60 ms at 1M for 14 rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tuidesk.models import ConversationRow
from tuidesk.models.views import ViewFilter
from tuidesk.store.base import Repository
from tuidesk.store.views import ROW_SELECT, Key, _row, fts_query

#: Every queue bucket, and those where a due time exists (sort_key is the due time there).
BUCKETS = ("inbox", "pending", "escalated", "snoozed", "resolved")
DUE_BUCKETS = ("inbox", "escalated")
#: sort -> (result column (1-based, of ROW_SELECT), key column, descending?).
SORTS: dict[str, tuple[int, str, bool]] = {"due": (15, "c.sort_key", False),
                                           "newest": (9, "c.last_at", True),
                                           "oldest": (9, "c.last_at", False)}
#: A tag with at most this many conversations drives the query from the tag index.
RARE_TAG = 5000
#: Saved views are counted up to this (the bar shows "100,000+" beyond).
COUNT_CAP = 100_000


def _conditions(f: ViewFilter, agent: str) -> tuple[list[str], dict[str, Any], tuple[str, ...]]:
    """(conditions but the bucket's, parameters, the buckets the view can hold)."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    # `+column`: a condition, never the index SQLite reads by (a network or a priority
    # holds a third of the desk; reading by it meant sorting every match).

    def any_of(column: str, name: str, values: Sequence[Any]) -> None:
        params.update({f"{name}{i}": v for i, v in enumerate(values)})
        parts.append(f"{column} IN ({', '.join(f':{name}{i}' for i in range(len(values)))})")

    from tuidesk.models import BUCKET

    buckets: tuple[str, ...] = BUCKETS
    if f.statuses:
        buckets = tuple(b for b in BUCKETS if b in {BUCKET[s] for s in f.statuses})
        any_of("+c.status", "fs", f.statuses)
    if f.overdue:
        # Only the inbox and escalations have due times; there sort_key is the due time,
        # so the overdue rows are one range of conv_bucket.
        buckets = tuple(b for b in buckets if b in DUE_BUCKETS)
        parts.append("c.sort_key < :fnow AND c.due_at < :fnow")
        params["fnow"] = f.now
    if f.tags:
        any_of("c.id IN (SELECT conversation_id FROM conversation_tags WHERE tag", "ft",
               f.tags)
        parts[-1] += ")"
    if f.networks:
        any_of("+c.network", "fn", f.networks)
    if f.brands:
        any_of("c.brand_id IN (SELECT id FROM brands WHERE handle", "fr", f.brands)
        parts[-1] += ")"
    if f.agent == "nobody":
        parts.append("c.assignee IS NULL")
    elif f.agent is not None:
        parts.append("c.assignee = :fa")
        params["fa"] = agent if f.agent == "me" else f.agent
    if f.priorities:
        any_of("+c.priority", "fp", f.priorities)
    if f.query:
        parts.append("c.id IN (SELECT m.conversation_id FROM messages m WHERE m.id IN "
                     "(SELECT rowid FROM messages_fts WHERE messages_fts MATCH :fq))")
        params["fq"] = fts_query(f.query)
    return parts, params, buckets


def _paged(selects: list[str], column: int, key: str, order: str, limit: str) -> str:
    """One page of the union of `selects` (each a ROW_SELECT with its conditions).

    Several selects are bucket branches read in index order: SQLite merges them and stops
    at the page's end. A single select (a rare tag, a sort by the latest message) sorts
    every match: its page's ids are chosen first from the conversations alone, and only
    those rows are joined to their customer and brand (billing at 1M: 1,334 matches,
    6.2 -> 3.8 ms for the first page).
    """
    if len(selects) > 1:
        return (" UNION ALL ".join(selects) + f" ORDER BY {column} {order}, 1 {order} "
                + limit)
    assert selects[0].startswith(ROW_SELECT)
    conditions = selects[0].removeprefix(ROW_SELECT)
    return (f"{ROW_SELECT} JOIN (SELECT c.id AS pid FROM conversations c {conditions} "
            f"ORDER BY {key} {order}, c.id {order} {limit}) p ON c.id = p.pid "
            f"ORDER BY {column} {order}, 1 {order}")


class SavedViews(Repository):
    """Keyset pages, positions and capped counts of saved views."""

    @staticmethod
    def key_of(f: ViewFilter, row: ConversationRow) -> Key:
        return (row.last_at or 0, row.id) if SORTS[f.sort][1] == "c.last_at" \
            else (row.sort_key, row.id)

    def _rare_tags(self, f: ViewFilter) -> bool:
        if not f.tags:
            return False
        marks = ", ".join("?" * len(f.tags))
        n = self._one(f"SELECT count(*) FROM (SELECT 1 FROM conversation_tags WHERE tag IN "
                      f"({marks}) LIMIT {RARE_TAG + 1})", f.tags)
        return int(n) <= RARE_TAG

    def _select(self, f: ViewFilter, agent: str, what: str, extra: str = ""
                ) -> tuple[list[str], dict[str, Any]]:
        """SELECT statements whose union is the view (one per bucket, or one driven by a
        rare tag), each with `extra` conditions, and their parameters."""
        parts, params, buckets = _conditions(f, agent)
        if not buckets:
            return [], params
        rest = "".join(f" AND {p}" for p in parts) + extra
        params.update({f"b{i}": b for i, b in enumerate(buckets)})
        if self._rare_tags(f) or f.sort != "due":
            # One statement: `+` keeps SQLite from scanning a bucket for a rare tag; a sort
            # by the latest message reads conv_last in order across buckets (a bucket
            # condition that holds for every row would make SQLite prefer conv_bucket).
            marks = ", ".join(f":b{i}" for i in range(len(buckets)))
            bucket = "1" if buckets == BUCKETS else (
                f"+c.bucket IN ({marks})" if f.tags or f.sort != "due" else
                f"c.bucket IN ({marks})")
            return [f"{what} WHERE {bucket}{rest}"], params
        return [f"{what} WHERE c.bucket = :b{i}{rest}" for i in range(len(buckets))], params

    def page(self, f: ViewFilter, agent: str, after: Key | None = None, limit: int = 100,
             backwards: bool = False) -> list[ConversationRow]:
        """Rows after `after` in display order (before it, if `backwards`)."""
        column, key, desc = SORTS[f.sort]
        forward = desc != backwards
        extra = ""
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            extra = f" AND ({key}, c.id) {'<' if forward else '>'} (:k, :i)"
            params.update(k=after[0], i=after[1])
        selects, more = self._select(f, agent, ROW_SELECT, extra)
        if not selects:
            return []
        order = "DESC" if forward else "ASC"
        rows = [_row(r) for r in self._q(
            _paged(selects, column, key, order, "LIMIT :limit"), params | more)]
        if backwards:
            rows.reverse()
        return rows

    def page_at(self, f: ViewFilter, agent: str, offset: int, limit: int = 100
                ) -> list[ConversationRow]:
        column, key, desc = SORTS[f.sort]
        selects, params = self._select(f, agent, ROW_SELECT)
        if not selects:
            return []
        order = "DESC" if desc else "ASC"
        return [_row(r) for r in self._q(
            _paged(selects, column, key, order, "LIMIT :limit OFFSET :offset"),
            params | {"limit": limit, "offset": offset})]

    def count(self, f: ViewFilter, agent: str, cap: int = COUNT_CAP) -> int:
        """Conversations in the view, counted up to `cap` (cap + 1 means more)."""
        selects, params = self._select(f, agent, "SELECT 1 FROM conversations c")
        if not selects:
            return 0
        return int(self._one(f"SELECT count(*) FROM ({' UNION ALL '.join(selects)} "
                             "LIMIT :cap)", params | {"cap": cap + 1}))
