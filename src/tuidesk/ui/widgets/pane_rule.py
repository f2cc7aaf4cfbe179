"""Provides PaneRule: the line between the queue and the detail pane, heavy and in the
accent colour while the detail pane has focus (as lazygit's panels say which is active).

It was the detail pane's border: a border that changes with focus repainted the whole pane
on Enter and Esc. As a widget of its own, focus moving redraws one column (or one row in
the narrow layout) and nothing else.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tuidesk.ui.guard import Guarded
from tuidesk.ui.widgets.same_line import SameLine


class PaneRule(Guarded, Widget):
    COMPONENT_CLASSES = {"pane-rule--active"}
    DEFAULT_CSS = """
    PaneRule { color: $primary; background: $surface; }
    PaneRule > .pane-rule--active { color: $accent; }
    """

    active: reactive[bool] = reactive(False)
    """The detail pane has focus."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._style: tuple[Style, Style] | None = None
        self._line = SameLine()

    def notify_style_update(self) -> None:
        self._style = None  # the theme changed
        self._line.forget()
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        return self._line.lines(self, self.active, lambda: self.render_line(0), crop)

    def render_line(self, y: int) -> Strip:
        if self._style is None:
            base = self.rich_style
            self._style = (base, base + self.get_component_rich_style("pane-rule--active",
                                                                     partial=True))
        width = self.size.width
        vertical = width == 1 and self.size.height > 1
        if self.active:
            return Strip([Segment("┃" if vertical else "━" * width, self._style[1])], width)
        return Strip([Segment("│" if vertical else "─" * width, self._style[0])], width)
