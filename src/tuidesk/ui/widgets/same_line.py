"""Provides SameLine: the strip a one-line (or one-character-per-row) widget draws, kept
until what it shows changes.

Textual's general path (the styles cache, a strip built per row and per line filter) took
3-5 ms to draw the 38 cells of the rule between the panes and ~3 ms for the footer, inside
the frames that answer Enter and a search. Such a widget draws the same strip on every row:
built once per change of `key` (and of width and the app's line filters: NO_COLOR, a dimmed
screen), then handed out as is.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class SameLine:
    def __init__(self) -> None:
        self._kept: tuple[Hashable, Strip] | None = None

    def forget(self) -> None:
        """The theme changed: build again."""
        self._kept = None

    def lines(self, widget: Widget, key: Hashable, build: Callable[[], Strip],
              crop: Region) -> list[Strip]:
        filters = widget.app.get_line_filters()
        full = (key, widget.size, tuple(filters))
        if self._kept is None or self._kept[0] != full:
            strip = build()
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, widget.background_colors[1])
            self._kept = (full, strip)
        strip = self._kept[1]
        if crop.column_span != (0, widget.size.width):
            strip = strip.crop(*crop.column_span)
        return [strip] * crop.height
