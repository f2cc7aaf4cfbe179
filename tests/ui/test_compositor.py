"""ChangeCompositor: the queue screen's frames leave the terminal as Textual's own compositor
leaves it (pyte, a terminal emulator nobody here wrote, is the oracle), while rendering
only the widgets that the changes touch."""

from __future__ import annotations

import re
from typing import Any

import pyte
import pytest
from rich.console import Console, RenderableType
from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget

from support import queue_screen, settle
from tuidesk.ui.app import TuideskApp
from tuidesk.ui.compositor import ChangeCompositor, covered_widgets
from tuidesk.ui.widgets.conversation_detail import ConversationDetail

#: A cursor move followed by another, a line end, or nothing: it moves to write nothing.
EMPTY_MOVE = re.compile(r"\x1b\[\d+;\d+H(?=\x1b\[\d+;\d+H|\n|$)")


class Terminal:
    def __init__(self, width: int, height: int) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)
        self.console = Console(width=width, height=height, force_terminal=True,
                               color_system="truecolor", legacy_windows=False)

    def draw(self, update: RenderableType | None) -> None:
        if update is not None:
            segments = list(self.console.render(update, self.console.options))
            self.stream.feed(self.console._render_buffer(segments))

    def cells(self) -> list[list[tuple[object, ...]]]:
        s = self.screen
        return [[(c.data, c.fg, c.bg, c.bold, c.italics, c.underscore, c.reverse)
                 for c in (s.buffer[y][x] for x in range(s.columns))] for y in range(s.lines)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_frames_draw_what_textual_draws_and_render_less(
        app: TuideskApp, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    ours, theirs = Terminal(*size), Terminal(*size)
    partial: list[bool] = []
    same_bytes: list[bool] = []
    apart: list[set[str]] = []  # widgets rendered for changes that do not touch the detail
    render_update = ChangeCompositor.render_update

    def both(self: ChangeCompositor, full: bool = False,
             screen_stack: list[Screen[Any]] | None = None,
             simplify: bool = False) -> RenderableType | None:
        dirty = set(self._dirty_regions)
        if full or self.size.region in dirty:
            update = render_update(self, full, screen_stack, simplify)
            ours.draw(update)
            theirs.draw(update)
            return update
        drawn: set[str] = set()
        original = Widget.render_lines

        def spy(widget: Widget, crop: Any) -> Any:
            drawn.add(type(widget).__name__)
            return original(widget, crop)

        monkeypatch.setattr(Widget, "render_lines", spy)
        update = render_update(self, full, screen_stack, simplify)
        monkeypatch.setattr(Widget, "render_lines", original)
        self._dirty_regions = set(dirty)
        ours.draw(update)
        other = Compositor.render_partial_update(self)
        theirs.draw(other)
        partial.append(ours.cells() == theirs.cells())
        # Byte for byte what Textual writes, less the cursor moves it wrote to the edge of
        # a change with nothing after them (its filled containers' empty pieces).
        mine = update.render_segments(ours.console) if update is not None else ""
        textual = other.render_segments(theirs.console) if other is not None else ""
        same_bytes.append(EMPTY_MOVE.sub("", mine) == EMPTY_MOVE.sub("", textual))
        detail = self.visible_widgets.get(queue_screen(app).query_one(ConversationDetail))
        if detail is not None and not any(
                region.overlaps(detail[0].intersection(detail[1])) for region in dirty):
            apart.append(drawn)
        return update

    monkeypatch.setattr(ChangeCompositor, "render_update", both)
    async with app.run_test(size=size) as pilot:
        assert isinstance(queue_screen(app)._compositor, ChangeCompositor)
        await settle(pilot)
        for keys in (["j", "j", "j"], ["3"], ["1"], ["enter"], ["escape"], ["k"],
                     ["slash", *"outage", "enter"], ["j"], ["escape"], ["7"], ["G"], ["g"]):
            await pilot.press(*keys)
            await settle(pilot)
            await pilot.pause(0.1)  # the search field closes a few frames later
    assert len(partial) > 10 and all(partial)
    assert all(same_bytes)
    # Cursor moves, view switches and searches change the rows (and the top line): the
    # detail pane beside them is not rendered for that. Textual rendered it, as its
    # container spans the queue and the box around the changes held it.
    assert len(apart) > 5
    assert all("ConversationDetail" not in drawn for drawn in apart), apart
    # The screen and the containers the rows fill draw nothing that shows: not rendered.
    assert all(not {"QueueScreen", "Horizontal"} & drawn for drawn in apart), apart


class _Node:
    def __init__(self, parent: _Node | None = None) -> None:
        self.parent = parent


def test_a_container_is_filled_only_by_children_that_tile_it() -> None:
    box = Region(0, 0, 10, 4)
    whole = Region(0, 0, 100, 100)
    parent, top, bottom = _Node(), _Node(), _Node()
    top.parent = bottom.parent = parent
    tiled = {parent: (box, whole), top: (Region(0, 0, 10, 2), whole),
             bottom: (Region(0, 2, 10, 2), whole)}
    assert covered_widgets(tiled) == {parent}  # type: ignore[arg-type]
    # As many cells, but one child over the other (a layer): a row of the parent shows.
    layered = {parent: (box, whole), top: (Region(0, 0, 10, 2), whole),
               bottom: (Region(0, 1, 10, 2), whole)}
    assert covered_widgets(layered) == set()  # type: ignore[arg-type]
    # A child cut by the parent's clip fills only what is shown of the parent.
    clipped = {parent: (box, Region(0, 0, 10, 2)), top: (Region(0, 0, 10, 4),
                                                         Region(0, 0, 10, 2))}
    assert covered_widgets(clipped) == {parent}  # type: ignore[arg-type]
