"""Provides ChangeCompositor: a frame renders only the widgets its changes touch.

Textual renders a partial update inside the box around every changed region, and in that
box every widget whose container's area overlaps it. When the top line and the queue's
rows change together (a view switch, a search's results) the box is the whole screen: the
detail pane and the rule were rendered and cut into pieces line by line, then left out of
the bytes written. A cursor move rendered the detail pane too, because its container
spans the queue. Here the box is Textual's, but a widget is rendered only if what it
shows of itself overlaps a changed region. The bytes written are the same: only changed
cells are written, and a widget that overlaps no changed region covers none of them.

(SplitCompositor, tried in dab7573, rendered changes apart in separate boxes: a cursor
move's two adjacent rows became two passes over the screen and its containers, slower.)
"""

from __future__ import annotations

from collections.abc import Iterator

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip


class ChangeCompositor(Compositor):
    def __init__(self) -> None:
        super().__init__()
        self._changed: list[Region] | None = None
        """The regions of the partial update being rendered (None: a full one)."""

    def render_partial_update(self) -> ChopsUpdate | None:
        self._changed = list(self._dirty_regions)  # a copy: Textual clears the set
        try:
            return super().render_partial_update()
        finally:
            self._changed = None

    def _get_renders(self, crop: Region | None = None
                     ) -> Iterator[tuple[Region, Region, list[Strip]]]:
        """As Compositor's, with only the widgets whose visible part overlaps a change."""
        changed = self._changed
        if changed is None or crop is None:
            yield from super()._get_renders(crop)
            return
        for widget, (region, clip) in self.visible_widgets.items():
            x, y, width, height = visible = region.intersection(clip)
            if width and height and any(visible.overlaps(part) for part in changed):
                yield region, clip, widget.render_lines(
                    Region(x - region.x, y - region.y, width, height))
