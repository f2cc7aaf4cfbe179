"""Provides QueueFooter: the key hints on one line, with search, help and quit visible at 80
columns.

Textual's Footer is a container of one widget per key, and it composes them again whenever
the screen's bindings may have changed: on every focus change (Enter on a row, Esc, each
search) it removed and mounted a dozen widgets and laid them out, a few milliseconds spent
just after the frame that answered the key, while that frame was still on its way to the
terminal. This footer is one line drawn from the active bindings, and it draws again only
when what it shows changes.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from tuidesk.ui.guard import Guarded
from tuidesk.ui.widgets.same_line import SameLine

#: Below this width the footer drops these hints (the keys still work and `?` lists them)
#: and the command palette's, so that `/ Search  ? Help  q Quit` always show.
NARROW = 100
NARROW_HIDE = frozenset({"snooze", "escalate"})


class Hint(NamedTuple):
    key: str
    """The key as Textual names it (what a click simulates)."""
    shown: str
    """The key as displayed (remapped keys included)."""
    description: str
    action: str
    enabled: bool


class QueueFooter(Guarded, Widget, can_focus=False):
    COMPONENT_CLASSES = {"queue-footer--key", "queue-footer--description",
                         "queue-footer--palette-rule"}
    DEFAULT_CSS = """
    QueueFooter {
        dock: bottom; height: 1; width: 1fr;
        color: $footer-foreground; background: $footer-background;
    }
    QueueFooter > .queue-footer--key {
        color: $footer-key-foreground; background: $footer-key-background; text-style: bold;
    }
    QueueFooter > .queue-footer--description {
        color: $footer-description-foreground; background: $footer-description-background;
    }
    QueueFooter > .queue-footer--palette-rule { color: $foreground 20%; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._hints: tuple[tuple[Hint, ...], Hint | None] = ((), None)
        self._spans: list[tuple[int, int, Hint]] = []
        """Cells [start, end) of each hint as last drawn, for clicks."""
        self._line = SameLine()
        self._reading = False
        """A read of the bindings is scheduled."""
        self._styles: tuple[Style, Style, Style, Style] | None = None
        """Base, key, description and palette rule: looked up once per theme."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._read_now()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self._read_now()

    def _bindings_changed(self, screen: Screen[object]) -> None:
        # Read once the frame that answers the key is out: reading the bindings took ~1 ms
        # before every frame that moved focus (Enter on a search, open, Esc), for a hint
        # line that may not change. Several changes in one frame are read once.
        if not self._reading:
            self._reading = True
            self.call_after_refresh(self._read_now)

    def _read_now(self) -> None:
        self._reading = False
        hints = self._read_hints()
        if hints != self._hints:
            self._hints = hints
            self.refresh()  # one line; no layout

    def _read_hints(self) -> tuple[tuple[Hint, ...], Hint | None]:
        """The keys to show, one per action, as Textual's Footer picks them."""
        app = self.app
        narrow = app.size.width < NARROW
        seen: set[str] = set()
        hints: list[Hint] = []
        palette: Hint | None = None
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            hint = Hint(binding.key, app.get_key_display(binding), binding.description,
                        binding.action, enabled)
            if binding.key == app.COMMAND_PALETTE_BINDING:
                palette = hint
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            if narrow and binding.action in NARROW_HIDE:
                continue
            hints.append(hint)
        if narrow or not app.ENABLE_COMMAND_PALETTE:
            palette = None
        return tuple(hints), palette

    def notify_style_update(self) -> None:
        self._styles = None  # the theme changed
        self._line.forget()
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        # Textual's path through a Text and the styles cache took ~3 ms of the frame that
        # answers a search.
        return self._line.lines(self, self._hints, self._build, crop)

    def _build(self) -> Strip:
        if self._styles is None:
            base = self.rich_style
            part = self.get_component_rich_style
            self._styles = (base, base + part("queue-footer--key", partial=True),
                            base + part("queue-footer--description", partial=True),
                            base + part("queue-footer--palette-rule", partial=True))
        base, key_style, text_style, rule_style = self._styles
        dim = Style(dim=True)
        hints, palette = self._hints
        segments: list[Segment] = []
        spans: list[tuple[int, int, Hint]] = []
        x = 0

        def add(hint: Hint) -> None:
            nonlocal x
            extra = Style() if hint.enabled else dim
            start = x
            for text, style in ((hint.shown, key_style),
                                (" " + hint.description if hint.description else "",
                                 text_style)):
                if text:
                    segments.append(Segment(text, style + extra))
                    x += cell_len(text)
            spans.append((start, x, hint))
            segments.append(Segment(" ", base))
            x += 1

        for hint in hints:
            add(hint)
        width = self.size.width
        if palette is not None:
            size = 3 + cell_len(palette.shown) + cell_len(palette.description)
            if width - x - size >= 0:
                segments.append(Segment(" " * (width - x - size), base))
                x = width - size
                segments.append(Segment("▏", rule_style))
                x += 1
                add(palette)  # and a space after, as Textual's footer
        self._spans = spans
        return Strip(segments).adjust_cell_length(width, base)

    def on_click(self, event: events.Click) -> None:
        for start, end, hint in self._spans:
            if start <= event.x < end:
                if hint.enabled:
                    self.app.simulate_key(hint.key)
                else:
                    self.app.bell()
                return
