"""Provides SearchActions: `/` searches messages and handles (or jumps with `#301`), and the
lists that are not views (search results, a dashboard drill-down).

Enter shows the results first; the field closes a few frames later, as closing it lays out
the screen (~10 ms at 120x40) and the results should not wait for that.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.widgets import Input, Label

from tuidesk.errors import QueryError, TuideskError
from tuidesk.services.queue_window import QueueWindow, SearchWindow
from tuidesk.ui.screens.queue_commands import jump_target
from tuidesk.ui.text import join, safe_line

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.dom import DOMNode
    from textual.timer import Timer
    from textual.widget import Widget

    from tuidesk.services import Services
    from tuidesk.services.inbox import InboxService
    from tuidesk.ui.widgets.queue_list import QueueList

#: Seconds the search field stays after Enter, while the results are drawn.
CLOSE_FIELD_DELAY = 0.05
#: Seconds after the queue is shown that the full-text tables are opened: the first frame
#: is out by then.
PREPARE_SEARCH_AFTER = 0.5


class SearchActions:
    if TYPE_CHECKING:
        services: Services
        inbox: InboxService
        view: str
        window: QueueWindow | SearchWindow
        search_text: str | None
        queue_list: QueueList
        search_box: Widget

        def query_one(self, selector: object, expect_type: object = None) -> Any: ...
        def set_focus(self, widget: Widget | None, scroll_visible: bool = True,
                      from_app_focus: bool = False) -> None: ...
        def set_timer(self, delay: float, callback: Callable[[], object]) -> Timer: ...
        def action_view(self, view: str) -> None: ...
        def open_conversation(self, conversation_id: int) -> str | None: ...
        def _show_window(self, cursor: int = 0, detail_now: bool = True) -> None: ...
        def _from_thread(self, callback: Callable[..., object], *args: object) -> None: ...

    _search_opened = 0
    """How many times the field was opened (a late close must not close it again)."""

    def action_search(self) -> None:
        self._search_opened += 1
        box = self.query_one("#search-box")
        box.display = True
        self.query_one("#search-error", Label).update("")
        self.set_focus(self.query_one("#search", Input))  # before the keys typed after /

    def prepare_search(self) -> None:
        """The full-text tables opened while nobody waits (see InboxService.prepare_search);
        a fault here is left for the search that meets it to report.

        Their pages are read into the OS cache in a thread first (106 ms at 10M with a cold
        cache, which a key arriving meanwhile waited for), then opened on the main
        connection, which finds them cached."""
        reader = self.services.reader()
        if reader is None:
            self._prepare_search_here()
            return

        def read() -> None:
            try:
                reader.run(lambda inbox: inbox.prepare_search())
            except TuideskError:
                pass
            self._from_thread(self._prepare_search_here)

        cast("DOMNode", self).run_worker(read, group="prepare", thread=True,
                                         exit_on_error=False)

    def _prepare_search_here(self) -> None:
        try:
            self.inbox.prepare_search()
        except TuideskError:
            pass

    def submit_search(self, text: str) -> None:
        """Enter in the search field."""
        if self._run_search(text):
            self.queue_list.focus(scroll_visible=False)  # at once: the next key goes to the results
            # The results go out first; closing the field lays out the screen (~10 ms at
            # 120x40), so it follows a few frames later (call_after_refresh ran it before
            # the results' frame).
            self.set_timer(CLOSE_FIELD_DELAY, partial(self._close_search_field,
                                                      self._search_opened))

    def _close_search_field(self, opened: int) -> None:
        if opened == self._search_opened:  # not opened again since
            self.search_box.display = False

    def _run_search(self, text: str) -> bool:
        if not text.strip():
            self.action_view(self.view)
            return True
        if text.strip().startswith("#") and jump_target(text) is not None:
            problem = self.open_conversation(jump_target(text) or 0)
            if problem:
                self.query_one("#search-error", Label).update(problem)
                return False
            return True
        try:
            window = SearchWindow.search(self.inbox, text)
        except QueryError as exc:  # a fault (StoreError) is a toast, like everywhere else
            self.query_one("#search-error", Label).update(
                join(("✗ ", "$error"), safe_line(exc.msg, "$error")))
            return False
        self._show_results(text, lambda: SearchWindow.search(self.inbox, text), window)
        return True

    def jump_to(self, conversation_id: int) -> None:
        """Show one conversation (from a drill-down) as a one-row result."""
        self._show_results(f"#{conversation_id}", lambda: SearchWindow(
            self.inbox, [conversation_id], "search"))

    def _show_results(self, label: str, results: Callable[[], SearchWindow],
                      window: SearchWindow | None = None) -> None:
        """Show a list that is not a view (search, drill-down): `window`, or what `results`
        makes."""
        self.search_text = label
        self.window = window or results()
        # The rows first; the detail pane once the cursor rests (as on a view switch).
        self._show_window(detail_now=False)

