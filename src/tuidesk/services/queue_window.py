"""Provides QueueWindow: random access to a queue view by position, fetched by keyset pages.

The queue list asks for rows by position as the user scrolls. Positions near rows already
loaded are reached by keyset pages from those rows (cost independent of depth); the start and
the end of a view are keyset pages too. Only a jump into the middle (a scrollbar drag) falls back
to OFFSET. At most `max_rows` rows are kept.
"""

from __future__ import annotations

from tuidesk.models import ConversationRow
from tuidesk.services.inbox import InboxService

PAGE = 200


class QueueWindow:
    def __init__(self, inbox: InboxService, view: str, max_rows: int = 4000) -> None:
        self.inbox = inbox
        self.view = view
        self.max_rows = max_rows
        self._rows: dict[int, ConversationRow] = {}
        self.total = inbox.count(view)
        self.fetches = 0
        """How many store queries this window made (tests check paging stays keyset)."""
        self.offset_fetches = 0

    def refresh(self) -> None:
        """Forget cached rows (after a change) and recount."""
        self._rows.clear()
        self.total = self.inbox.count(self.view)

    def get(self, index: int) -> ConversationRow | None:
        if index < 0 or index >= self.total:
            return None
        row = self._rows.get(index)
        if row is None:
            self._load(index)
            row = self._rows.get(index)
        return row

    def index_of(self, conversation_id: int) -> int | None:
        for i, row in self._rows.items():
            if row.id == conversation_id:
                return i
        return None

    def _store(self, start: int, rows: list[ConversationRow]) -> None:
        for i, row in enumerate(rows):
            self._rows[start + i] = row
        if len(self._rows) > self.max_rows:
            centre = start + len(rows) // 2
            for i in sorted(self._rows, key=lambda k: -abs(k - centre))[: len(self._rows)
                                                                      - self.max_rows]:
                del self._rows[i]

    def _load(self, index: int) -> None:
        self.fetches += 1
        view, inbox = self.view, self.inbox
        below = max((i for i in self._rows if i < index), default=None)
        above = min((i for i in self._rows if i > index), default=None)
        if below is not None and index - below <= PAGE:
            rows = inbox.page(view, inbox.key_of(view, self._rows[below]), PAGE)
            self._store(below + 1, rows)
        elif above is not None and above - index <= PAGE:
            rows = inbox.page_before(view, inbox.key_of(view, self._rows[above]), PAGE)
            self._store(above - len(rows), rows)
        elif index < PAGE:
            self._store(0, inbox.page(view, None, PAGE))
        elif self.total - index <= PAGE:
            rows = inbox.page_before(view, None, PAGE)
            self._store(self.total - len(rows), rows)
        else:
            self.offset_fetches += 1
            start = max(0, index - PAGE // 2)
            self._store(start, inbox.page_at(view, start, PAGE))


class SearchWindow:
    """Search results: matching ids up front (cheap), rows loaded a page at a time."""

    CHUNK = 100

    def __init__(self, inbox: InboxService, ids: list[int], label: str) -> None:
        self.inbox = inbox
        self.ids = ids
        self.view = label
        self.total = len(ids)
        self._rows: dict[int, ConversationRow] = {}

    def refresh(self) -> None:
        self._rows.clear()

    def get(self, index: int) -> ConversationRow | None:
        if not 0 <= index < self.total:
            return None
        if index not in self._rows:
            start = index - index % self.CHUNK
            chunk = self.ids[start:start + self.CHUNK]
            found = {r.id: r for r in self.inbox.rows(chunk)}
            for i, cid in enumerate(chunk):
                if cid in found:
                    self._rows[start + i] = found[cid]
        return self._rows.get(index)

    @property
    def rows(self) -> list[ConversationRow]:
        return [r for r in (self.get(i) for i in range(self.total)) if r is not None]

    def index_of(self, conversation_id: int) -> int | None:
        try:
            return self.ids.index(conversation_id)
        except ValueError:
            return None
