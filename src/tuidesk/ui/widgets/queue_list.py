"""Provides QueueList: a virtual list of conversations drawn line by line (Line API).

It never holds the whole queue: rows come from a window object by position as they scroll into
view, so 1,000,000 conversations paint as fast as 100.

BINDINGS:
    j / down, k / up: move; pagedown / space, pageup: a page; g / home, G / end: ends;
    enter: open the highlighted conversation.
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil
from typing import Protocol

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tuidesk.errors import TuideskError
from tuidesk.models import ConversationRow, Visibility
from tuidesk.services.display import clean_line, due_label, rel
from tuidesk.services.priority import human_count
from tuidesk.ui.text import fit
from tuidesk.ui.widgets.typing import TypeAhead

NET = {"mastodon": "MA", "bluesky": "BS", "twitter": "TW"}
MARK = {1: "!", 2: "↑", 3: " ", 4: "↓"}
#: Statuses in five cells (narrow queues): whole words, as the views are named.
SHORT_STATUS = {"pending": "wait", "escalated": "escal", "snoozed": "snooz",
                "resolved": "done"}


def _thumb(total: int, height: int, top: float) -> tuple[int, int] | None:
    """The scrollbar thumb's extent in eighths of a cell (as Textual draws it)."""
    if not height or total <= height:
        return None
    size = max(1.0, height * height / total)
    start = int((height - size) * top / (total - height) * 8)
    return start, start + ceil(size * 8)


class RowSource(Protocol):
    @property
    def total(self) -> int: ...

    def get(self, index: int) -> ConversationRow | None: ...

    def end(self) -> int: ...

    def prefetch(self, first: int, last: int) -> None: ...


def columns(width: int) -> tuple[int, int, int, int]:
    """(who, preview, status, assignee) widths for a line `width` cells wide."""
    who = 22 if width >= 110 else 16
    status, assignee = (9, 8) if width >= 100 else (5, 6)
    fixed = 22 + who + status + assignee  # the mark, due, network, separators and age
    return who, max(8, width - fixed), status, assignee


def header_text(width: int) -> str:
    who, preview, status, assignee = columns(width)
    return (" " + "DUE".rjust(9) + " " + "NW" + " " + fit("CUSTOMER", who) + " "
            + fit("LATEST MESSAGE", preview) + " " + fit("STATUS" if status >= 9 else "STATE",
                                                         status) + " "
            + fit("AGENT", assignee) + " " + "AGE".rjust(4))


class QueueList(TypeAhead, ScrollView, can_focus=True):
    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="queue.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="queue.up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="queue.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="queue.page_up"),
        Binding("g,home", "first", "First", show=False, id="queue.first"),
        Binding("G,end", "last", "Last", show=False, id="queue.last"),
        Binding("enter", "open", "Open", show=False, id="queue.open"),
    ]
    COMPONENT_CLASSES = {
        "queue-list--cursor", "queue-list--overdue", "queue-list--urgent", "queue-list--high",
        "queue-list--low", "queue-list--dim", "queue-list--marked",
    }
    DEFAULT_CSS = """
    QueueList { background: $surface; overflow-x: hidden; }
    QueueList > .queue-list--cursor { background: $accent 30%; text-style: bold; }
    QueueList:focus > .queue-list--cursor { background: $accent 60%; }
    QueueList > .queue-list--overdue { color: $error; text-style: bold; }
    QueueList > .queue-list--urgent { color: $error; text-style: bold; }
    QueueList > .queue-list--high { color: $warning; text-style: bold; }
    QueueList > .queue-list--low { color: $text-muted; }
    QueueList > .queue-list--dim { color: $text-muted; }
    QueueList > .queue-list--marked { background: $secondary 35%; text-style: bold; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    _read_error = False
    """A row could not be read (said once, not on every frame)."""
    """Position of the highlighted row in the view."""

    class Highlighted(Message):
        """The highlighted conversation changed (None when the view is empty)."""

        def __init__(self, queue_list: QueueList, row: ConversationRow | None) -> None:
            super().__init__()
            self.queue_list = queue_list
            self.row = row

        @property
        def control(self) -> QueueList:
            return self.queue_list

    class Opened(Message):
        """Enter on a row."""

        def __init__(self, queue_list: QueueList, row: ConversationRow) -> None:
            super().__init__()
            self.queue_list = queue_list
            self.row = row

        @property
        def control(self) -> QueueList:
            return self.queue_list

    def __init__(self, now: Callable[[], int], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.source: RowSource | None = None
        self.now = now
        self._styles: dict[str, Style] | None = None
        """The rows' styles, looked up once per frame (not once per row and segment)."""
        self._styles_key: tuple[Style, ...] = ()
        self.marks: set[int] = set()
        """Marked conversations: drawn with a `*` and their own background."""
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        """Rows drawn lately, by everything that shows on them: going back to a view or a
        page draws from here instead of building each row's segments again."""

    def set_source(self, source: RowSource, cursor: int = 0) -> None:
        """Show another view (or search results); keeps the cursor in range."""
        self.source = source
        self._set_virtual_height(source.total)
        self.cursor = max(0, min(cursor, source.total - 1))
        self.refresh()

    def _set_virtual_height(self, total: int) -> None:
        """Set the virtual size without a layout pass unless the scrollbar comes or goes.

        `virtual_size` is a layout reactive: every view switch laid out and repainted the
        whole screen (~30 ms and every row's bytes at 120x40) although only this widget's
        rows and scrollbar thumb change.
        """
        new = Size(self.size.width, total)
        old = self.virtual_size
        height = self.scrollable_content_region.height
        if new == old:
            return
        scrollbar_fixed = self.styles.overflow_y == "scroll"
        if not self.is_mounted or not height or (
                not scrollbar_fixed and (old.height > height) != (total > height)):
            self.virtual_size = new
            return
        self.set_reactive(QueueList.virtual_size, new)
        bar = self.vertical_scrollbar
        if _thumb(old.height, height, self.scroll_offset.y) == _thumb(total, height, 0):
            # Same thumb (at 1M every big view's is one sliver at the top): nothing to draw.
            bar.set_reactive(type(bar).window_virtual_size, total)
            self.scroll_y = self.validate_scroll_y(self.scroll_y)
            return
        self._scroll_update(new)  # the scrollbar's thumb and the scroll limits

    def grew(self) -> None:
        """The source's total changed (a count arrived): the scroll range follows."""
        if self.source is not None:
            self._set_virtual_height(self.source.total)
            if (cursor := self.validate_cursor(self.cursor)) != self.cursor:
                self.cursor = cursor

    @property
    def current(self) -> ConversationRow | None:
        return self.source.get(self.cursor) if self.source else None

    def validate_cursor(self, value: int) -> int:
        total = self.source.total if self.source else 0
        return max(0, min(value, total - 1)) if total else 0

    def watch_cursor(self, old: int, new: int) -> None:
        row = self.current
        if self.source is not None and self.virtual_size.height != self.source.total:
            # Search results arrive in batches: the list grows as the cursor nears its end
            # (here or in _prefetch).
            self.virtual_size = Size(self.size.width, self.source.total)
        top = self.scroll_offset.y
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True, immediate=True)
        if self.scroll_offset.y == top:
            # Only the two rows whose highlight changed go to the terminal (over SSH a full
            # repaint of the list was 15-56 KB per key); a scroll repaints what scrolled.
            self.refresh_line(old)
            self.refresh_line(new)
        self.post_message(self.Highlighted(self, row))
        # Once this frame is drawn, load the rows a page or two ahead, so the next keys
        # find them in memory instead of waiting for the store.
        self.call_after_refresh(self._prefetch)

    class Resized(Message):
        """The rows' width changed (the scrollbar came or went): the header follows."""

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        # The widget's size stays; its rows lose or gain a cell: draw them all again, or
        # the rows drawn before keep their old width beside the new ones.
        self.call_after_refresh(self.refresh)  # once the new width is laid out
        self.post_message(self.Resized())

    def _prefetch(self) -> None:
        if self.source is not None:
            top, height = int(self.scroll_offset.y), max(1, self.size.height)
            self.source.prefetch(top - height, top + 2 * height)
            if self.virtual_size.height != self.source.total:
                self.virtual_size = Size(self.size.width, self.source.total)
                self.post_message(self.Highlighted(self, self.current))  # the count changed

    def on_resize(self) -> None:
        if self.source:
            self.virtual_size = Size(self.size.width, self.source.total)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += max(1, self.size.height - 1)

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.size.height - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self.source.end() if self.source else 0

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(self, row))

    def on_click(self, event: object) -> None:
        y = getattr(event, "y", None)
        if y is not None:
            self.cursor = int(self.scroll_offset.y) + int(y)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._styles = None  # the theme, focus or a class may have changed since last frame
        return super().render_lines(crop)

    def _style(self, name: str) -> Style:
        if self._styles is None:
            base = self.rich_style
            comp = self.get_component_rich_style
            self._styles = {"": base} | {
                part: comp(f"queue-list--{part}")
                for part in ("cursor", "overdue", "urgent", "high", "low", "dim", "marked")}
            self._styles_key = tuple(self._styles.values())
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width  # without the scrollbar
        index = int(self.scroll_offset.y) + y
        base = self._style("")
        try:
            row = self.source.get(index) if self.source else None
        except TuideskError as exc:
            # Rows load as they are drawn; a damaged page must not end the app mid-frame.
            if not self._read_error:
                self._read_error = True
                self.app.call_later(self.app.notify, exc.msg, title=exc.title,
                                    severity="error")
            return Strip([Segment(fit("  ⚠ this row cannot be read", width), base)], width)
        if row is None:
            if index == 0 and self.source is not None and self.source.total == 0:
                return Strip([Segment(fit("  Nothing here.", width), base)], width)
            return Strip.blank(width, base)
        style = base + self._style("cursor") if index == self.cursor else base
        marked = row.id in self.marks
        if marked:
            style += self._style("marked")
        now = self.now()
        due, overdue = due_label(row.due_at, now)
        if row.status == "snoozed":
            due, overdue = f"wakes {rel(max(0, row.sort_key - now))}", False
        age = rel(now - (row.last_at or row.created_at))
        key = (row, width, style, due, overdue, age, marked, self._styles_key)
        strip = self._strips.get(key)
        if strip is None:
            # Exactly `width` cells as measured, whatever the row holds: a strip that
            # claimed more cells than it drew left the divider and the detail pane's first
            # letter misplaced in the terminal.
            strip = Strip(self._segments(row, width, style, (due, overdue, age), marked)
                          ).adjust_cell_length(width, style)
            self._strips[key] = strip
        return strip

    def _segments(self, row: ConversationRow, width: int, style: Style,
                  times: tuple[str, bool, str], marked: bool = False) -> list[Segment]:
        who_w, preview_w, status_w, agent_w = columns(width)
        due, overdue, age = times
        comp = self._style
        mark_style = {1: comp("urgent"), 2: comp("high"), 4: comp("low")}.get(row.priority)
        who = clean_line(row.customer)
        if row.followers:
            who = f"{who} ({human_count(row.followers)})"
        channel = "✉ " if row.channel == Visibility.DIRECT else ""
        dim = style + comp("dim")
        return [
            # A marked row says so in its first cell (`*`, as neomutt's tagged mails), not
            # only by colour.
            Segment("*", style) if marked else
            Segment(MARK.get(row.priority, " "), style + mark_style if mark_style else style),
            Segment(due.rjust(9), style + comp("overdue") if overdue else dim),
            Segment(" " + NET.get(row.network, clean_line(row.network[:2].upper())) + " ", dim),
            Segment(fit(who, who_w) + " ", style),
            Segment(fit(channel + clean_line(row.preview), preview_w) + " ", style),
            # A refused reply is work to do: a word, not only a colour (NO_COLOR, 80x24).
            Segment(fit("✗refused" if status_w >= 9 else "✗fail", status_w) + " ",
                    style + comp("overdue")) if row.reply_failed
            else Segment(fit(row.status if status_w >= 9 else
                             SHORT_STATUS.get(row.status, row.status), status_w) + " ", dim),
            Segment(fit(clean_line(row.assignee or "-"), agent_w) + " ", dim),
            Segment(age.rjust(4), dim),
        ]
