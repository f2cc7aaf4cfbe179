"""Provides SplitCompositor: a frame renders only the widgets under what changed.

Textual renders a partial update inside the box that surrounds every changed region. When
the top line and the queue's rows change together (a view switch, a search's results),
that box is the whole screen: the detail pane, the rule and every container were rendered
and cut into pieces, then left out of the bytes written (about a third of such a frame's
time at 120x40). Here changed regions that do not touch are rendered apart, each with only
the widgets that overlap it; the bytes written are the same. (Textual also picks the
widgets to render by their container's area, not their own: the detail pane was rendered
for a change in the queue beside it.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip


def disjoint_boxes(regions: set[Region]) -> list[Region]:
    """Boxes around groups of regions, no two boxes overlapping."""
    boxes = list(regions)
    merged = True
    while merged and len(boxes) > 1:
        merged = False
        for i, box in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                if box.overlaps(boxes[j]):
                    boxes[i] = box.union(boxes.pop(j))
                    merged = True
                    break
            if merged:
                break
    return boxes


class SplitCompositor(Compositor):
    def _get_renders(self, crop: Region | None = None
                     ) -> Iterator[tuple[Region, Region, list[Strip]]]:
        """As Compositor's, with only the widgets whose visible part overlaps `crop`."""
        if crop is None:
            crop = self.size.region
        for widget, (region, clip) in self.visible_widgets.items():
            x, y, width, height = visible = region.intersection(clip)
            if width and height and crop.overlaps(visible):
                yield region, clip, widget.render_lines(
                    Region(x - region.x, y - region.y, width, height))

    def render_partial_update(self) -> ChopsUpdate | None:
        update_regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not update_regions:
            return None
        screen_region = self.size.region
        spans = list(self._regions_to_spans(update_regions))
        boxes = [box.intersection(screen_region) for box in disjoint_boxes(update_regions)]
        chops: Sequence[Mapping[int, Strip | None]]
        if len(boxes) == 1:
            chops = self._render_chops(boxes[0], {y for y, _, _ in spans}.__contains__)
        else:
            merged: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1])
                                                     for cut_set in self.cuts]
            for box in boxes:
                top, bottom = box.y, box.bottom
                left, right = box.x, box.right
                part = self._render_chops(box, range(top, bottom).__contains__)
                for y in range(top, bottom):
                    # A piece of the line outside the box holds what is behind a widget
                    # not rendered here: only those that reach into the box are taken.
                    line = merged[y]
                    ends = self.cuts[y][1:]
                    for (x, strip), end in zip(part[y].items(), ends, strict=True):
                        if strip is not None and x < right and end > left:
                            line[x] = strip
            chops = merged
        chop_ends = [cut_set[1:] for cut_set in self.cuts]
        return ChopsUpdate(chops, spans, chop_ends)
