"""Provides DetailReads: the detail pane follows the cursor, and the rows ahead of it are
read, without the keys waiting for the store.

Mixed into QueueScreen. When the cursor rests, the conversation under it is read in a thread
on a connection of its own (services.Reader) and shown when it comes, unless the cursor moved
on meanwhile; the pages a screen or two ahead of the cursor are read the same way. A key
never waits for those reads: at 10M messages with a cold page cache one took 46-120 ms on
the main thread, and a page down that arrived during it waited as long (281 ms at p99).

What a key itself asks for is still read at once on the main connection: Enter, an action's
result, the rows the list must draw now. With ":memory:" (another connection would see
another database) every read is made there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from tuidesk.services.queue_window import PAGE, PageAhead, QueueWindow
from tuidesk.ui.widgets.conversation_detail import ConversationDetail

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import App
    from textual.dom import DOMNode
    from textual.timer import Timer

    from tuidesk.models import Conversation, ConversationRow
    from tuidesk.services import Services
    from tuidesk.services.inbox import InboxService
    from tuidesk.services.queue_window import SearchWindow
    from tuidesk.services.reader import DetailRead

#: Seconds the cursor must rest before the detail pane is read and redrawn.
DETAIL_DELAY = 0.06


class DetailReads:
    if TYPE_CHECKING:
        app: App[None]
        services: Services
        inbox: InboxService
        selected: ConversationRow | None
        window: QueueWindow | SearchWindow
        _detail_timer: Timer | None
        _bindings_stale: bool
        _presence_id: int | None
        _selected_at: int

        def set_timer(self, delay: float, callback: Callable[[], object]) -> Timer: ...
        def query_one(self, selector: object, expect_type: object = None) -> Any: ...
        def refresh_bindings(self) -> None: ...
        def _heartbeat(self) -> None: ...

    _detail_asked = 0
    """Moves on every request for the detail pane: a read that comes back after a newer one
    was asked for (or the pane was drawn at once meanwhile) is dropped."""
    _detail_reading = False

    @property
    def detail_pending(self) -> bool:
        """Whether the detail pane is still to catch up with the cursor."""
        return self._detail_timer is not None or self._detail_reading

    def _detail_soon(self) -> None:
        """Draw the detail pane once the cursor rests: the rows go out first (a long history
        costs a few frames to lay out), as mail clients do while keys repeat."""
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY, self._detail_rested)

    def _detail_rested(self) -> None:
        self._detail_timer = None
        reader, row = self.services.reader(), self.selected
        if reader is None or row is None:
            self._show_detail()
            return
        self._detail_asked += 1
        asked = self._detail_asked
        self._detail_reading = True

        def read() -> None:
            try:
                done: DetailRead | None = reader.detail(row.id)
            except Exception:  # noqa: BLE001 - read again on the main connection, where a
                done = None  # fault is a message and a bug ends the app, as everywhere
            self._from_thread(self._detail_read, asked, row, done)

        cast("DOMNode", self).run_worker(read, group="detail", thread=True,
                                         exit_on_error=False)

    def _detail_read(self, asked: int, row: ConversationRow, done: DetailRead | None) -> None:
        if asked != self._detail_asked:
            return  # drawn at once, or asked for again, since
        self._detail_reading = False
        if row != self.selected:
            return  # the cursor moved on: its own read is on the way
        if done is None:
            self._show_detail()
        else:
            self._draw_detail(row, done.conversation, done.viewers)

    def _show_detail(self) -> None:
        """Read the selected conversation on the main connection and draw it now."""
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        self._detail_asked += 1  # a read under way is older than this
        self._detail_reading = False
        row = self.selected
        conv = self.inbox.conversation(row.id) if row is not None else None
        viewers = self.inbox.presence(row.id) if row is not None else ""
        self._draw_detail(row, conv, viewers)

    def _draw_detail(self, row: ConversationRow | None, conv: Conversation | None,
                     viewers: str) -> None:
        if self._bindings_stale:
            self._bindings_stale = False
            self.refresh_bindings()
        self.query_one(ConversationDetail).show(conv, viewers,
                                                can_send=row is not None
                                                and self.inbox.can_send(row))
        if row is not None and row.id != self._presence_id:
            self._presence_id = row.id
            self._selected_at = self.inbox.clock()
            self._heartbeat()

    # -- rows ahead of the cursor ------------------------------------------------------------

    def _ahead_apart(self, window: QueueWindow) -> None:
        """Let `window` read its pages ahead in a thread (if this desk has a Reader)."""
        if self.services.reader() is not None:
            window.apart = lambda page: self._read_ahead(window, page)

    def _read_ahead(self, window: QueueWindow, page: PageAhead) -> None:
        reader = self.services.reader()
        assert reader is not None

        def read() -> None:
            try:
                rows = reader.page(window.view, page.anchor, PAGE, page.before)
            except Exception:  # noqa: BLE001 - `get` reads them on the main connection
                rows = None  # when they are drawn, where a fault or a bug shows as ever
            self._from_thread(window.merge, page, rows)

        cast("DOMNode", self).run_worker(read, group="ahead", thread=True,
                                         exit_on_error=False)

    def _from_thread(self, callback: Callable[..., object], *args: object) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:
            pass  # the app has quit meanwhile
