"""Provides QueueScreen: the queue and the detail side by side, and every action by one key."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import Reactive, reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from tuidesk.errors import TuideskError
from tuidesk.models import ConversationRow, View
from tuidesk.services import Services
from tuidesk.services.inbox import BEST_EFFORT_WAIT
from tuidesk.services.queue_window import QueueWindow, SearchWindow
from tuidesk.ui.compositor import ChangeCompositor
from tuidesk.ui.guard import Guarded
from tuidesk.ui.messages import SyncFinished
from tuidesk.ui.screens.dashboard import DashboardScreen, Drill
from tuidesk.ui.screens.help import HelpModal
from tuidesk.ui.screens.queue_actions import ConversationActions
from tuidesk.ui.screens.queue_commands import (
    CommandActions,
    completions,
    load_history,
    save_history,
)
from tuidesk.ui.screens.queue_detail import DetailReads
from tuidesk.ui.screens.queue_keys import NEEDS_ROW, QUEUE_BINDINGS
from tuidesk.ui.screens.queue_marks import MarkActions
from tuidesk.ui.screens.queue_search import PREPARE_SEARCH_AFTER, SearchActions
from tuidesk.ui.screens.welcome import WelcomeModal
from tuidesk.ui.text import join, safe_line
from tuidesk.ui.widgets.completing_input import CompletingInput
from tuidesk.ui.widgets.conversation_detail import ConversationDetail
from tuidesk.ui.widgets.footer import QueueFooter
from tuidesk.ui.widgets.pane_rule import PaneRule
from tuidesk.ui.widgets.queue_list import QueueList, header_text
from tuidesk.ui.widgets.search_field import SearchField
from tuidesk.ui.widgets.view_bar import ViewBar, window_count


class QueueScreen(Guarded, DetailReads, ConversationActions, MarkActions, CommandActions,
                  SearchActions, Screen[None]):
    BINDINGS = QUEUE_BINDINGS

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """As Screen's, without repainting the whole screen when focus moves (Enter on a row
    redrew all 40 rows at 120x40): the widgets that gain or lose focus redraw themselves."""
    selected: reactive[ConversationRow | None] = reactive(None, repaint=False)
    """The highlighted conversation; actions are disabled while it is None."""

    def watch_focused(self, focused: Widget | None) -> None:
        if self.pane_rule is not None:  # the rule says which pane has the keys
            self.pane_rule.active = focused is self.detail

    def watch_selected(self, old: ConversationRow | None, new: ConversationRow | None) -> None:
        # Refreshing bindings recomposes the footer and lays out the screen (~100 ms at
        # 120x40): only when actions become enabled or disabled, and with the detail pane
        # once the cursor rests, so the rows go out first. Keys check `check_action` anyway.
        if (old is None) != (new is None):
            self._bindings_stale = True

    def __init__(self, services: Services) -> None:
        super().__init__()
        self._compositor = ChangeCompositor()  # a frame renders what its changes touch
        self.services = services
        self.inbox = services.inbox
        self.replies = services.replies
        self.escalations = services.escalations
        self.view = View.INBOX.value
        self.window: QueueWindow | SearchWindow = QueueWindow(self.inbox, self.view)
        self.search_text: str | None = None
        self._data_version = -1
        self._wake_tick = 0
        self._detail_timer: Timer | None = None
        self._bindings_stale = False
        self._welcome: WelcomeModal | None = None
        """The first-run screen, while the database has no conversations."""
        self.activity = "viewing"
        """What I am doing on the selected conversation: 'viewing' or 'drafting'."""
        self._selected_at = 0
        self._presence_id: int | None = None
        self._shown_count = ""
        self._header = ""
        self.marks = {}
        self.pane_rule: PaneRule | None = None

    def compose(self) -> ComposeResult:
        now = self.inbox.clock
        yield ViewBar(id="view-bar")
        with Horizontal(id="main"):
            with Vertical(id="queue-pane"):
                yield Static("", id="queue-header", markup=False)
                yield QueueList(now, id="queue")
                with Vertical(id="search-box"):
                    yield SearchField(self.submit_search, id="search",
                                      placeholder="search messages and handles; Enter to "
                                      "search, Esc to leave")
                    yield Label("", id="search-error", markup=False)
            yield PaneRule(id="pane-rule")
            yield ConversationDetail(now, id="detail")
        with Vertical(id="command-box"):
            yield CompletingInput(lambda typed: completions(typed, self.services, self.inbox),
                                  load_history(), placeholder=":command  (Tab completes, "
                                  "↑ history, Esc leaves)", id="command")
            yield Label("", id="command-error", markup=False)
        yield QueueFooter()

    def _on_timer_update(self) -> None:
        # Textual lays the screen out and draws what moved, then repaints all of it: two
        # frames in one tick (~10 KB each at 120x40), as at start-up and after a resize.
        # With the whole screen marked dirty first, the layout's frame is the repaint.
        if self._layout_required and self._repaint_required and self.is_current \
                and not self.app._batch_count:
            self._repaint_required = False
            self._compositor._dirty_regions.add(self.size.region)
        super()._on_timer_update()

    def on_mount(self) -> None:
        # Looked up once: a view switch used six DOM queries (~0.5 ms of its frame).
        self.queue_list = self.query_one(QueueList)
        self.view_bar = self.query_one(ViewBar)
        self.header = self.query_one("#queue-header", Static)
        self.search_box = self.query_one("#search-box")
        self.command_box = self.query_one("#command-box")
        self.pane_rule = self.query_one(PaneRule)
        self.detail = self.query_one(ConversationDetail)
        self.search_box.display = False
        self.command_box.display = False
        self._data_version = self.inbox.data_version()
        self._show_window()
        self.query_one(QueueList).focus()
        self.set_interval(1.0, self._poll)
        self.set_timer(PREPARE_SEARCH_AFTER, self.prepare_search)
        if self.inbox.count(View.ALL.value) == 0:
            self._welcome = WelcomeModal(self.services.db_path)
            self.app.push_screen(self._welcome)

    # -- display ---------------------------------------------------------------------------

    def _show_window(self, cursor: int = 0, detail_now: bool = True) -> None:
        queue = self.queue_list
        if isinstance(self.window, QueueWindow):
            self._ahead_apart(self.window)
        queue.set_source(self.window, cursor)
        if isinstance(self.window, QueueWindow) and self.window.counting:
            # Once the first page is on screen: the count's thread shares the CPU.
            self.call_after_refresh(self.count_view, self.window)
        self._update_bar()
        self.selected = queue.current
        if detail_now:
            self._show_detail()
        else:
            self._detail_soon()

    def _update_bar(self) -> None:
        self._shown_count = window_count(self.window)
        saved = [(v.name, v.shown) for v in self.inbox.saved_views.values()]
        self.view_bar.show(self.view, window_count(self.window), self.search_text,
                                     self.inbox.agent, self.inbox.outbox_counts(),
                                     self.services.channel_health(), self.inbox.clock(),
                                     self.size.width, saved, len(self.marks))
        self._update_header()

    @on(QueueList.Resized)
    def _update_header(self) -> None:
        text = header_text(self.queue_list.rows_width or self.size.width)
        if text != self._header:  # the same on every view: not drawn again
            self._header = text
            self.header.update(text, layout=False)  # one row: no layout pass

    def on_resize(self) -> None:
        self.call_after_refresh(self._update_bar)

    def on_screen_resume(self) -> None:
        # A resize while a modal was on top reached only the modal: the header and the
        # top line were left at the old width.
        if self.is_mounted:
            self.call_after_refresh(self._update_bar)

    @on(QueueList.Highlighted)
    def _highlighted(self, event: QueueList.Highlighted) -> None:
        event.stop()
        if window_count(self.window) != self._shown_count:
            # More search results arrived as the cursor went down, or a saved view was
            # read to its end before its count came.
            self._update_bar()
        self._sync_selection()

    def _sync_selection(self) -> None:
        """The selection is the cursor's row now. Keys typed in one burst run before the
        cursor's Highlighted messages arrive: `jjc` claimed the row the cursor had left."""
        queue = getattr(self, "queue_list", None)  # check_action runs before on_mount too
        row = queue.current if queue is not None else self.selected
        if row != self.selected:
            self.selected = row
            self._detail_soon()

    @on(QueueList.Opened)
    def _opened(self, event: QueueList.Opened) -> None:
        detail = self.query_one(ConversationDetail)
        if self._detail_timer is not None or detail.shown_id != event.row.id:
            self._show_detail()  # else it shows this one already, as of the last change
        detail.focus(scroll_visible=False)  # always in view

    def reload(self, keep_cursor: bool = True) -> None:
        """Re-read the current view or search after a change (here or by another agent)."""
        if self._welcome is not None and self.inbox.count(View.ALL.value):
            if self._welcome.is_active:  # conversations arrived: the desk is set up
                self._welcome.dismiss(None)
            self._welcome = None
        queue = self.query_one(QueueList)
        cursor = queue.cursor if keep_cursor else 0
        # A search (or drill-down) keeps the conversations it found, rows read again: it
        # was run again here, and after End the cursor, past the first batch, jumped to
        # another conversation whenever a colleague's app wrote (#2 to #580). Search again
        # to see new matches.
        self.window.refresh()
        # Stay on the same conversation if it is still in the view and nearby.
        if keep_cursor and self.selected is not None:
            self.window.get(cursor)
            found = self.window.index_of(self.selected.id)
            if found is not None:
                cursor = found
        self._show_window(cursor)

    def _poll(self) -> None:
        """Pick up other agents' changes (PRAGMA data_version moves on their commits)."""
        self._wake_tick += 1
        if self._wake_tick % 5 == 0:
            self._heartbeat()
            self._refresh_presence()
        if self._wake_tick % 30 == 0:
            try:  # the clocks are the worker's job while one runs
                woken = (self.services.clocks.run(wait=BEST_EFFORT_WAIT)
                         if self.services.worker() is None else [])
            except TuideskError:
                woken = []  # busy: try again at the next tick
            if woken:
                self.reload()
                return
        version = self.inbox.data_version()
        if version != self._data_version:
            self._data_version = version
            self.reload()

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in NEEDS_ROW:
            self._sync_selection()
            if self.selected is None:
                return None
        return True

    def _do(self, fn: object, done: str, *args: object) -> bool:
        try:
            fn(*args)  # type: ignore[operator]
        except TuideskError as exc:
            self.notify(exc.msg, title=exc.title, severity="error", markup=False)
            return False
        self.notify(done, markup=False)
        self.reload()
        return True

    def action_view(self, view: str) -> None:
        if self.command_box.display:
            self._close_command_line()
        self.view = view
        self.search_text = None
        self.search_box.display = False
        self.window = QueueWindow(self.inbox, view, screenful=max(24, self.queue_list.size.height))
        self._show_window(detail_now=False)
        self.queue_list.focus(scroll_visible=False)

    def select_conversation(self, conversation_id: int) -> bool:
        """Move the cursor to a conversation if it is among the rows loaded near the cursor."""
        index = self.window.index_of(conversation_id)
        if index is None:
            return False
        self.query_one(QueueList).cursor = index
        return True

    @on(SyncFinished)
    def _sync_finished(self, event: SyncFinished) -> None:
        report = event.report
        for name, error in report.errors.items():
            self.notify(error, title=f"Sync {name}", severity="error", markup=False)
        if report.failed:
            self.notify(f"{len(report.failed)} replies were refused: see the outbox in the "
                        "detail pane (R retries, r edits).", severity="error", markup=False)
        self.reload()

    def action_dashboard(self) -> None:
        insight = self.services.insight
        if insight is None:
            return

        def drill(target: Drill) -> None:
            if target is None:
                return
            if isinstance(target, tuple) and target[0] == "agent":
                self.action_view(View.ALL.value)
                agent = str(target[1])
                self._show_results(f"assigned to {agent}", lambda: SearchWindow(
                    self.inbox, self.inbox.assigned_ids(agent), "search"))
            elif isinstance(target, tuple):
                self.action_view(View.ALL.value)
                self.jump_to(int(target[1]))
            else:
                self.action_view(target)

        # The figures are read in a thread on their own connection: the dashboard shows at
        # once and fills in; no key waits for it (it used to block the app 21 s at 1M).
        screen = DashboardScreen(None)
        self.app.push_screen(screen, drill)
        self.run_dashboard(screen)

    @work(thread=True, exclusive=True, group="count", exit_on_error=False)
    def count_view(self, window: QueueWindow) -> None:
        """A saved view's count, read apart while its first page is already shown."""
        total = self.services.count_apart(window.view)
        self.app.call_from_thread(self._counted, window, total)

    def _counted(self, window: QueueWindow, total: int) -> None:
        if window is not self.window:
            return  # another view by now
        if window.counting:  # else it was read to its end meanwhile: that total stands
            window.set_total(total)
        self.queue_list.grew()
        if window_count(window) != self._shown_count:
            self._update_bar()

    @work(thread=True, exclusive=True, group="insight", exit_on_error=False)
    def run_dashboard(self, screen: DashboardScreen) -> None:
        report = self.services.report_apart()
        self.app.call_from_thread(screen.show_report, report)  # type: ignore[arg-type]

    def open_conversation(self, conversation_id: int) -> str | None:
        """`:301`, `#301`: the conversation, where it is in the list shown, else on its own
        (None), or what is wrong."""
        if self.inbox.row(conversation_id) is None:
            return f"No conversation #{conversation_id}"
        if not self.select_conversation(conversation_id):
            self.jump_to(conversation_id)
        self._show_detail()
        return None

    def action_help(self) -> None:
        self.app.push_screen(HelpModal(self.services.settings.keymap))

    def action_back(self) -> None:
        if self.query_one("#command-box").display:
            self._close_command_line()
        elif self.clear_marks():
            self.notify("Marks cleared.", markup=False)
        elif self.focused is self.query_one(ConversationDetail):
            self.queue_list.focus(scroll_visible=False)
        elif self.search_text is not None or self.query_one("#search-box").display:
            self.action_view(self.view)

    @on(Input.Submitted, "#command")
    def _command_submitted(self, event: Input.Submitted) -> None:
        line = self.query_one("#command", CompletingInput)
        line.remember(event.value.strip())
        save_history(line.history)
        self._close_command_line()
        problem = self.run_command(event.value)
        if problem:
            self.action_command_line(event.value)
            error = self.query_one("#command-error", Label)
            error.update(join(("✗ ", "$error"), safe_line(problem, "$error")))
            error.display = True
