"""Provides QueueList: a virtual list of conversations drawn line by line (Line API).

It never holds the whole queue: rows come from a window by position as they scroll into view.

BINDINGS:
    j / down, k / up: move; pagedown / space, pageup: a page; g / home, G / end: ends;
    enter: open the highlighted conversation.
"""

from __future__ import annotations

from collections.abc import Callable
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
from tuidesk.ui.widgets.quiet_focus import QuietFocus
from tuidesk.ui.widgets.scroll_column import thumb_rows
from tuidesk.ui.widgets.typing import TypeAhead

NET = {"mastodon": "MA", "bluesky": "BS", "twitter": "TW"}
MARK = {1: "!", 2: "↑", 3: " ", 4: "↓"}
#: Statuses in five cells (narrow queues): whole words, as the views are named.
SHORT_STATUS = {"pending": "wait", "escalated": "escal", "snoozed": "snooz",
                "resolved": "done"}


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


class QueueList(TypeAhead, QuietFocus, ScrollView, can_focus=True):
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
        "queue-list--cursor", "queue-list--cursor-blurred", "queue-list--overdue",
        "queue-list--urgent", "queue-list--high", "queue-list--low", "queue-list--dim",
        "queue-list--marked", "queue-list--track", "queue-list--thumb",
    }
    DEFAULT_CSS = """
    QueueList { background: $surface; overflow-x: hidden; overflow-y: hidden; }
    QueueList > .queue-list--track { background: $scrollbar-background; }
    QueueList > .queue-list--thumb { background: $scrollbar; }
    QueueList > .queue-list--cursor { background: $accent 60%; text-style: bold; }
    QueueList > .queue-list--cursor-blurred { background: $accent 30%; text-style: bold; }
    QueueList > .queue-list--overdue { color: $error; text-style: bold; }
    QueueList > .queue-list--urgent { color: $error; text-style: bold; }
    QueueList > .queue-list--high { color: $warning; text-style: bold; }
    QueueList > .queue-list--low { color: $text-muted; }
    QueueList > .queue-list--dim { color: $text-muted; }
    QueueList > .queue-list--marked { background: $secondary 35%; text-style: bold; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    """Position of the highlighted row in the view."""
    _read_error = False
    """A row could not be read (said once, not on every frame)."""

    class Highlighted(Message):
        """The highlighted conversation changed (None when the view is empty)."""

        def __init__(self, queue_list: QueueList, row: ConversationRow | None) -> None:
            super().__init__()
            self.queue_list = queue_list
            self.row = row

        @property
        def control(self) -> QueueList:
            return self.queue_list

    class Resized(Message):
        """The rows' width may have changed (after the screen's Resize): the header follows."""

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
        """The rows' styles, looked up when the stylesheet or focus changes (Textual forgets
        its component styles on every refresh: 9 lookups through the ancestors a frame)."""
        self._styles_key: tuple[Style, ...] = ()
        self.marks: set[int] = set()
        """Marked conversations: drawn with a `*` and their own background."""
        self._width: int | None = None
        """The rows' width while a frame is drawn (read once, not per row)."""
        self._thumb: tuple[int, int] = (0, 0)
        """The scroll column's thumb rows this frame (drawn by the rows themselves)."""
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        """Rows drawn lately, by all that shows on them: a view or page seen again is drawn
        from here."""

    def set_source(self, source: RowSource, cursor: int = 0) -> None:
        """Show another view (or search results); keeps the cursor in range."""
        self.source = source
        self._set_virtual_height(source.total)
        self.cursor = max(0, min(cursor, source.total - 1))
        self.refresh()

    def _set_virtual_height(self, total: int) -> None:
        """Set the virtual size without a layout pass.

        `virtual_size` is a layout reactive: every view switch laid out and repainted the
        whole screen (~30 ms and every row's bytes at 120x40) although only this widget's
        rows change. The list has no scrollbar widget either (Textual's was a third of a
        view switch): each row draws its scroll column cell; a new total redraws this only.
        """
        new = Size(self.size.width, total)
        if new == self.virtual_size:
            return
        if not self.is_mounted:
            self.virtual_size = new
            return
        height = self.size.height
        before = thumb_rows(self.virtual_size.height, height, self.scroll_offset.y)
        self.set_reactive(QueueList.virtual_size, new)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        if thumb_rows(total, height, self.scroll_offset.y) != before:
            self.refresh()

    def grew(self) -> None:
        """The source's total changed (a count arrived): the scroll range follows."""
        if self.source is not None:
            self._set_virtual_height(self.source.total)
            if (cursor := self.validate_cursor(self.cursor)) != self.cursor:
                self.cursor = cursor

    @property
    def rows_width(self) -> int:
        """Cells a row's columns use: the last one is the scroll column."""
        return max(0, self.size.width - 1)

    @property
    def allow_vertical_scroll(self) -> bool:
        # The mouse wheel scrolls although the scroll column is drawn by the rows.
        return not self._check_disabled() and self.max_scroll_y > 0

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
            self._set_virtual_height(self.source.total)
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

    def _prefetch(self) -> None:
        if self.source is not None:
            top, height = int(self.scroll_offset.y), max(1, self.size.height)
            self.source.prefetch(top - height, top + 2 * height)
            if self.virtual_size.height != self.source.total:
                self._set_virtual_height(self.source.total)
                self.post_message(self.Highlighted(self, self.current))  # the count changed

    def on_resize(self) -> None:
        self.post_message(self.Resized())
        if self.source:  # not through the layout reactive: a width needs no layout pass
            self.set_reactive(QueueList.virtual_size, Size(self.size.width, self.source.total))
            self.scroll_y = self.validate_scroll_y(self.scroll_y)
            self.refresh()

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
        x, y = getattr(event, "x", None), getattr(event, "y", None)
        if x is None or y is None or self.source is None:
            return
        if x >= self.rows_width and self.size.height > 1:
            # The scroll column: the same fraction of the list, as a scrollbar's track.
            self.cursor = round(int(y) * (self.source.total - 1) / (self.size.height - 1))
        else:
            self.cursor = int(self.scroll_offset.y) + int(y)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The rows as drawn, straight from the strip cache.

        Textual's general path (styles cache: borders, padding, tint, a new strip per row
        and per filter) cost ~50 µs a row, a third of a view switch at 120x40, for a widget
        with none of those. The rows fill the widget exactly and the app's line filters
        (NO_COLOR, dimmed screens) are applied as there, cached with each row.
        """
        styles = self.styles
        if (styles.tint.a or self.opacity != 1.0 or styles.text_opacity != 1.0
                or any(styles.gutter) or styles.has_rule("hatch")):
            return super().render_lines(crop)
        total = self.source.total if self.source else 0
        self._thumb = thumb_rows(total, self.size.height, self.scroll_offset.y)
        self._width = self.rows_width
        filters = self.app.get_line_filters()
        background = self.background_colors[1]
        strips = []
        for y in crop.line_range:
            strip = self.render_line(y)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        self._width = None
        if crop.column_span != (0, self.size.width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def notify_style_update(self) -> None:
        self._styles = None  # the theme, a class or a pseudo-class changed
        super().notify_style_update()

    def focus_changed(self, has_focus: bool) -> None:
        # The cursor's highlight is the only thing focus changes (QuietFocus).
        self.refresh_line(self.cursor)

    def _style(self, name: str) -> Style:
        if self._styles is None:
            base = self.rich_style
            comp = self.get_component_rich_style
            self._styles = {"": base} | {
                part: comp(f"queue-list--{part}")
                for part in ("cursor", "cursor-blurred", "overdue", "urgent", "high", "low",
                             "dim", "marked", "track", "thumb")}
            # What every row's look depends on; the cursor's is in its own row's key, so
            # focus moving draws that row again, not all of them.
            self._styles_key = tuple(style for part, style in self._styles.items()
                                     if not part.startswith("cursor"))
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        width = self._width if self._width is not None else self.rows_width
        index = int(self.scroll_offset.y) + y
        base = self._style("")
        bar = "thumb" if self._thumb[0] <= y < self._thumb[1] else "track"
        try:
            row = self.source.get(index) if self.source else None
        except TuideskError as exc:
            # Rows load as they are drawn; a damaged page must not end the app mid-frame.
            if not self._read_error:
                self._read_error = True
                self.app.call_later(self.app.notify, exc.msg, title=exc.title,
                                    severity="error")
            return self._with_bar([Segment(fit("  ⚠ this row cannot be read", width), base)],
                                  width, base, bar)
        if row is None:
            key: tuple[object, ...] = ("blank", width, bar, self._styles_key)
            if index == 0 and self.source is not None and self.source.total == 0:
                key = ("nothing", width, bar, self._styles_key)
            if (strip := self._strips.get(key)) is None:
                text = "  Nothing here." if key[0] == "nothing" else ""
                strip = self._strips[key] = self._with_bar([Segment(fit(text, width), base)],
                                                           width, base, bar)
            return strip
        if index == self.cursor:
            style = base + self._style("cursor" if self.has_focus else "cursor-blurred")
        else:
            style = base
        marked = row.id in self.marks
        if marked:
            style += self._style("marked")
        now = self.now()
        due, overdue = due_label(row.due_at, now)
        if row.status == "snoozed":
            due, overdue = f"wakes {rel(max(0, row.sort_key - now))}", False
        age = rel(now - (row.last_at or row.created_at))
        key = (row, width, style, due, overdue, age, marked, bar, self._styles_key)
        strip = self._strips.get(key)
        if strip is None:
            # Exactly `width` cells as measured, whatever the row holds: a strip that
            # claimed more cells than it drew left the divider and the detail pane's first
            # letter misplaced in the terminal.
            strip = self._with_bar(self._segments(row, width, style, (due, overdue, age), marked),
                                   width, style, bar)
            self._strips[key] = strip
        return strip

    def _with_bar(self, segments: list[Segment], width: int, style: Style, bar: str) -> Strip:
        """A row of exactly `width` cells, then its cell of the scroll column."""
        return Strip.join([Strip(segments).adjust_cell_length(width, style),
                           Strip([Segment(" ", self._style(bar))], 1)])

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
