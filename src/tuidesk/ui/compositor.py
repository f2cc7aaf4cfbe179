"""Provides ChangeCompositor: a frame renders only the widgets its changes touch.

Textual renders a partial update inside the box around every changed region, and in that
box every widget whose container's area overlaps it, containers included. When the top
line and the queue's rows change together (a view switch, a search's results) the box is
the whole screen: the detail pane and the rule were rendered and cut into pieces line by
line, then left out of the bytes written. A cursor move rendered the detail pane too,
because its container spans the queue. Here the box is Textual's, but a widget is rendered
only if what it shows of itself overlaps a changed region, and not if it is a container
its children fill. The cells written are the same: only changed cells are written, a
widget that overlaps no changed region covers none of them, and a filled container is
drawn over everywhere. (Textual also wrote a cursor move to the edge of a change, for a
container's empty piece there, with nothing after it; those are left out.)

(SplitCompositor, tried in dab7573, rendered changes apart in separate boxes: a cursor
move's two adjacent rows became two passes over the screen and its containers, slower.)
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import TYPE_CHECKING

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.widget import Widget


def covered_widgets(visible: dict[Widget, tuple[Region, Region]]) -> set[Widget]:
    """Widgets whose every visible cell is one of their children's: a container that its
    children fill draws nothing a frame shows (the top widget's piece of a line wins).
    Children that overlap each other (a layer, a toast) are not counted as filling."""
    shown = {widget: region.intersection(clip) for widget, (region, clip) in visible.items()}
    children: dict[Widget, list[Region]] = {}
    for widget, area in shown.items():
        parent = widget.parent
        if area.area and parent in shown:
            children.setdefault(parent, []).append(area)
    covered = set()
    for widget, parts in children.items():
        area = shown[widget]
        inside = [part.intersection(area) for part in parts]
        if sum(part.area for part in inside) == area.area and not any(
                a.overlaps(b) for a, b in combinations(inside, 2)):
            covered.add(widget)
    return covered


class ChangeCompositor(Compositor):
    def __init__(self) -> None:
        super().__init__()
        self._changed: list[Region] | None = None
        """The regions of the partial update being rendered (None: a full one)."""
        self._covered: tuple[object, set[Widget]] = (None, set())
        """covered_widgets() of the visible map it was computed for (new on each layout)."""

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
        widgets = self.visible_widgets
        if self._covered[0] is not widgets:
            self._covered = (widgets, covered_widgets(widgets))
        covered = self._covered[1]
        for widget, (region, clip) in widgets.items():
            x, y, width, height = visible = region.intersection(clip)
            if width and height and widget not in covered and any(
                    visible.overlaps(part) for part in changed):
                yield region, clip, widget.render_lines(
                    Region(x - region.x, y - region.y, width, height))
