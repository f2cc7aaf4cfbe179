"""Provides QueueWindow: random access to a queue view by position, fetched by keyset pages.

The queue list asks for rows by position as the user scrolls. Positions near rows already
loaded are reached by keyset pages from those rows (cost independent of depth); the start and
the end of a view are keyset pages too. Only a jump into the middle (a scrollbar drag) falls back
to OFFSET. At most `max_rows` rows are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tuidesk.models import ConversationRow
from tuidesk.services.inbox import InboxService, SearchHits

PAGE = 100
JUMP = 80
"""Rows fetched for a jump to either end when the caller does not say how many rows it
shows: a tall screenful; scrolling on fetches PAGE more."""


@dataclass(frozen=True)
class PageAhead:
    """A keyset page of rows ahead of the cursor, to be read apart (see `QueueWindow.apart`):
    PAGE rows after (or before) `anchor`, the row at `index` when the read was asked for."""

    generation: int
    index: int
    anchor: ConversationRow
    before: bool


class QueueWindow:
    apart: Callable[[PageAhead], None] | None = None
    """Set by the app: `prefetch` hands the pages next to loaded rows to it, to be read in a
    thread and given back through `merge`, instead of reading them on the caller's thread
    (a cold read at 10M took 73 ms, and the next key waited for it). Rows the list must draw
    now are still read at once by `get`."""

    def __init__(self, inbox: InboxService, view: str, max_rows: int = 4000,
                 screenful: int = JUMP) -> None:
        self.inbox = inbox
        self.screenful = max(1, screenful)
        """Rows read for either end of the view: what the list shows at once. A filter's
        first page costs in proportion (a saved view at 1M: 80 rows 1.1 ms, 40 rows 0.6);
        the rows below come from `prefetch` once the frame is out."""
        self.view = view
        self.max_rows = max_rows
        self._rows: dict[int, ConversationRow] = {}
        self.fetches = 0
        """How many store queries this window made (tests check paging stays keyset)."""
        self.generation = 0
        """Moves on `refresh`: a page read apart before it is stale."""
        self._asked: set[tuple[int, bool]] = set()
        self.offset_fetches = 0
        self.exact = True
        """Whether `total` is the view's count. A saved view starts with its first page
        and a provisional total, grows as the cursor nears its end, and gets its count from
        `set_total` (counted apart: a filter's count reads every match)."""
        if view in inbox.saved_views:
            rows = inbox.page(view, None, self.screenful)
            self._store(0, rows)
            self.total = len(rows)
            self.exact = len(rows) < self.screenful
        else:
            self.total = inbox.count(view)

    @property
    def counting(self) -> bool:
        """A saved view whose count is still to come."""
        return not self.exact

    capped = False
    """The saved view holds more than its count goes to (COUNT_CAP)."""

    def set_total(self, total: int) -> None:
        from tuidesk.store.saved_views import COUNT_CAP

        self.capped = total > COUNT_CAP
        self.total = min(total, COUNT_CAP)
        self.exact = True

    def refresh(self) -> None:
        """Forget cached rows (after a change) and recount (a saved view: keeps its total
        until the count made apart comes back)."""
        self._rows.clear()
        self.generation += 1
        self._asked.clear()
        if self.view in self.inbox.saved_views:
            self.exact = False
        else:
            self.total = self.inbox.count(self.view)

    def end(self) -> int:
        """The last position in the view (counted now if the count has not come yet)."""
        if not self.exact:
            self.set_total(self.inbox.count(self.view))
        return self.total - 1

    def prefetch(self, first: int, last: int) -> None:
        """Load rows first..last ahead of need (called when the app is idle), so scrolling on
        does not wait for the store. A saved view not counted yet grows here."""
        if (not self.exact and last >= self.total - self.screenful // 2
                and self.total - 1 in self._rows):
            rows = self.inbox.page(self.view, self.inbox.key_of(
                self.view, self._rows[self.total - 1]), PAGE)
            self._store(self.total, rows)
            self.total += len(rows)
            if len(rows) < PAGE:
                self.exact = True
        for index in (max(0, first), min(self.total - 1, last)):
            if 0 <= index < self.total and index not in self._rows \
                    and not self._ask_apart(index):
                self._load(index)

    def _ask_apart(self, index: int) -> bool:
        """Hand the page that loads `index` to `apart` (True), if one is set and the page
        continues loaded rows; else the caller reads it."""
        if self.apart is None:
            return False
        below = self._near(index, -1)
        if below is not None:
            ask = (below, False)
        else:
            above = self._near(index, 1)
            if above is None:
                return False
            ask = (above, True)
        if ask not in self._asked:
            self._asked.add(ask)
            self.apart(PageAhead(self.generation, ask[0], self._rows[ask[0]], ask[1]))
        return True

    def _near(self, index: int, step: int) -> int | None:
        """The loaded row nearest `index` on one side (step -1: below, 1: above), if within a
        page of it."""
        if index + step in self._rows:
            return index + step  # scrolling reaches a row next to loaded ones
        if step < 0:
            near = max((i for i in self._rows if i < index), default=None)
        else:
            near = min((i for i in self._rows if i > index), default=None)
        return near if near is not None and abs(index - near) <= PAGE else None

    def merge(self, page: PageAhead, rows: list[ConversationRow] | None) -> bool:
        """Take a page read apart (None: it was not read). False if the window changed since
        it was asked for (a refresh: its rows may be stale), or its anchor moved."""
        self._asked.discard((page.index, page.before))
        if rows is None or page.generation != self.generation \
                or self._rows.get(page.index, page.anchor).id != page.anchor.id:
            return False
        if page.before:
            self._store(page.index - len(rows), rows)
        else:
            self._store(page.index + 1, rows)
        return True

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
            # Keep the rows around the new page; trimming to 3/4 makes this rare.
            centre = start + len(rows) // 2
            keep = self.max_rows * 3 // 8
            for i in [k for k in self._rows if abs(k - centre) > keep]:
                del self._rows[i]

    def _load(self, index: int) -> None:
        self.fetches += 1
        view, inbox = self.view, self.inbox
        below, above = self._near(index, -1), self._near(index, 1)
        if below is not None:
            rows = inbox.page(view, inbox.key_of(view, self._rows[below]), PAGE)
            self._store(below + 1, rows)
        elif above is not None:
            rows = inbox.page_before(view, inbox.key_of(view, self._rows[above]), PAGE)
            self._store(above - len(rows), rows)
        elif index < self.screenful:
            self._store(0, inbox.page(view, None, self.screenful))
        elif self.total - index <= self.screenful:
            rows = inbox.page_before(view, None, self.screenful)
            self._store(self.total - len(rows), rows)
        else:
            self.offset_fetches += 1
            start = max(0, index - PAGE // 2)
            self._store(start, inbox.page_at(view, start, PAGE))


class SearchWindow:
    """Search results (or any list of ids): rows loaded a page at a time.

    Given `hits`, the search that found `ids` (see SearchHits), further ids are fetched by
    `prefetch` as the cursor nears the end of those known, so the first screen of results
    costs the same however many messages match. `total` grows as batches arrive; `more` tells
    whether it may still grow. At most `cap` ids are kept.
    """

    CHUNK = 100
    """Ids fetched per search batch."""
    ROWS = 50
    """Rows loaded at a time (a screenful or so)."""

    def __init__(self, inbox: InboxService, ids: list[int], label: str,
                 hits: SearchHits | None = None, cap: int = 10_000) -> None:
        self.inbox = inbox
        self.ids = list(ids)
        self.view = label
        self.cap = cap
        self._hits = hits
        self._rows: dict[int, ConversationRow] = {}

    @classmethod
    def search(cls, inbox: InboxService, text: str) -> SearchWindow:
        """Results for `text`, first batch fetched now.

        Raises:
            QueryError: the query is not valid FTS5 syntax.
        """
        hits = inbox.search_hits(text, cls.CHUNK)
        return cls(inbox, hits.next_batch(), "search", hits)

    @property
    def total(self) -> int:
        return len(self.ids)

    @property
    def more(self) -> bool:
        """Whether more results may follow those counted in `total`."""
        return self._hits is not None and not self._hits.done and self.total < self.cap

    @property
    def complete(self) -> bool:
        """Whether `total` is every match (False while more may come or past the cap)."""
        return self._hits is None or self._hits.done

    def _extend(self) -> None:
        if self.more:
            assert self._hits is not None
            self.ids.extend(self._hits.next_batch()[: self.cap - len(self.ids)])

    def refresh(self) -> None:
        self._rows.clear()

    def get(self, index: int) -> ConversationRow | None:
        if not 0 <= index < self.total:
            return None
        if index not in self._rows:
            start = index - index % self.ROWS
            chunk = self.ids[start:start + self.ROWS]
            found = {r.id: r for r in self.inbox.rows(chunk)}
            for i, cid in enumerate(chunk):
                if cid in found:
                    self._rows[start + i] = found[cid]
        return self._rows.get(index)

    def prefetch(self, first: int, last: int) -> None:
        """Fetch the next batch of ids once `last` nears the end of those known, and the rows
        up to `last` (called when the app is idle: the list grows here, never while drawing).
        """
        while self.more and last >= len(self.ids) - self.CHUNK // 2:
            self._extend()
        self.get(max(0, min(last, self.total - 1)))

    def end(self) -> int:
        """The last position, after fetching every remaining batch (up to `cap`)."""
        while self.more:
            self._extend()
        return self.total - 1

    @property
    def rows(self) -> list[ConversationRow]:
        return [r for r in (self.get(i) for i in range(self.end() + 1)) if r is not None]

    def index_of(self, conversation_id: int) -> int | None:
        try:
            return self.ids.index(conversation_id)
        except ValueError:
            return None
