"""What a keystroke costs the app besides its own work: rows drawn again, the scrollbar,
garbage collection. Each test fails on code that redraws or collects where nothing changed
(timings are in benchmarks/pty_bytes.py, not here)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from support import queue_screen, settle
from tuidesk.services import Services
from tuidesk.ui import app as app_module
from tuidesk.ui.app import TuideskApp
from tuidesk.ui.widgets.conversation_detail import ConversationDetail
from tuidesk.ui.widgets.footer import QueueFooter
from tuidesk.ui.widgets.pane_rule import PaneRule
from tuidesk.ui.widgets.queue_list import QueueList


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


async def test_going_back_to_a_view_draws_its_rows_from_the_cache(
        app: TuideskApp, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    real = QueueList._segments

    def segments(self, row, *args):  # type: ignore[no-untyped-def]
        built.append(row.id)
        return real(self, row, *args)

    monkeypatch.setattr(QueueList, "_segments", segments)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = queue_screen(app)
        queue = screen.query_one(QueueList)
        shown = [queue.render_line(y).text for y in range(queue.size.height)]
        screen.action_view("all")
        await settle(pilot)
        built.clear()
        screen.action_view("inbox")
        await settle(pilot)
        assert built == [], "rows drawn a moment ago were built again"
        assert [queue.render_line(y).text for y in range(queue.size.height)] == shown
        assert shown[0].strip() and "Nothing" not in shown[0]


async def test_a_changed_row_or_theme_is_drawn_anew(app: TuideskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = queue_screen(app).query_one(QueueList)
        before = queue.render_line(1)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await settle(pilot)
        after = queue.render_line(1)
        assert before.text == after.text
        assert [s.style for s in before] != [s.style for s in after]
        await pilot.press("c")  # claim: the row's agent column changes
        await settle(pilot)
        assert "tester" in queue.render_line(0).text


async def test_the_queue_draws_its_own_scroll_column(
        app: TuideskApp, demo_services: Services) -> None:
    """Textual's scrollbar widget was a third of a view switch (37 rows drawn through Rich
    at 120x40): the rows draw the column themselves, the thumb where the list is."""
    from textual.scrollbar import ScrollBar

    async with app.run_test(size=(120, 14)) as pilot:
        await settle(pilot)
        screen = queue_screen(app)
        queue = screen.query_one(QueueList)
        assert not queue.show_vertical_scrollbar
        assert not [bar for bar in screen.query(ScrollBar) if bar.parent is queue
                    and bar.display]
        height = queue.size.height

        def column() -> list[str]:
            track, thumb = (queue.get_component_rich_style(f"queue-list--{part}").bgcolor
                            for part in ("track", "thumb"))
            assert track != thumb
            cells = [queue.render_lines(queue.size.region)[y] for y in range(height)]
            last = [list(strip)[-1] for strip in cells]
            assert all(seg.text == " " for seg in last)
            return ["#" if seg.style.bgcolor == thumb else "." for seg in last]

        assert demo_services.inbox.count("inbox") > height * height  # a one-row thumb
        assert column() == ["#"] + ["."] * (height - 1)
        await pilot.press("end")
        await settle(pilot)
        assert column() == ["."] * (height - 1) + ["#"]
        screen.action_view("mine")  # fits on the screen: no thumb
        await settle(pilot)
        assert demo_services.inbox.count("mine") <= height
        assert column() == ["."] * height
        assert all(len(strip.text) == queue.size.width
                   for strip in queue.render_lines(queue.size.region))


async def test_the_cursor_row_follows_focus(app: TuideskApp) -> None:
    """Row styles are kept between frames: focus moving away must still change them."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = queue_screen(app).query_one(QueueList)
        focused = [s.style for s in queue.render_lines(queue.size.region)[0]]
        await pilot.press("enter")  # the detail pane takes the focus
        await settle(pilot)
        assert not queue.has_focus
        assert [s.style for s in queue.render_lines(queue.size.region)[0]] != focused


async def test_open_and_back_redraw_the_cursor_row_and_the_rule_only(
        app: TuideskApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """Enter and Esc move the focus between the panes: the queue's cursor row and the rule
    between the panes change, nothing else is drawn. Textual's focus handling repainted the
    whole detail pane (48x38 cells, ~12 KB at 120x40) and the footer composed itself anew."""
    from textual._compositor import Compositor
    from textual.geometry import Region

    drawn: list[Region] = []
    real = Compositor.render_update

    def render_update(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        drawn.extend(self._dirty_regions)
        return real(self, *args, **kwargs)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = queue_screen(app)
        queue, detail = screen.query_one(QueueList), screen.query_one(ConversationDetail)
        rule, footer = screen.query_one(PaneRule), screen.query_one(QueueFooter)
        assert rule.render_line(0).text == "│"
        monkeypatch.setattr(Compositor, "render_update", render_update)
        for key, focused, line in (("enter", detail, "┃"), ("escape", queue, "│")):
            drawn.clear()
            await pilot.press(key)
            await settle(pilot)
            assert screen.focused is focused
            assert rule.render_line(0).text == line
            assert drawn, f"{key}: nothing drawn"
            assert not [r for r in drawn if r.overlaps(detail.region)], f"{key}: {drawn}"
            assert not [r for r in drawn if r.overlaps(footer.region)], f"{key}: {drawn}"
            # One row of the queue and the rule's column.
            assert sum(r.area for r in drawn) <= queue.size.width + rule.size.height, drawn
        assert len(footer.children) == 0


async def test_keys_bound_on_the_focused_pane_run_where_they_land(
        app: TuideskApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual runs bindings once a key has bubbled through every container to the app
    (four more messages per key); the focused list and detail pane run theirs at once. A
    key nothing binds still travels up, and keys typed ahead of `/` still reach the field."""
    from textual.widgets import Input

    reached: list[str] = []
    real = TuideskApp._on_key

    async def on_key(self, event):  # type: ignore[no-untyped-def]
        reached.append(event.key)
        await real(self, event)

    monkeypatch.setattr(TuideskApp, "_on_key", on_key)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = queue_screen(app)
        queue, detail = screen.query_one(QueueList), screen.query_one(ConversationDetail)
        await pilot.press("j", "j", "2", "1")
        await settle(pilot)
        assert queue.cursor == 0 and screen.view == "inbox"  # the view switch reset it
        await pilot.press("j", "enter")
        await settle(pilot)
        assert screen.focused is detail and queue.cursor == 1
        await pilot.press("escape")
        await settle(pilot)
        assert screen.focused is queue
        assert reached == []
        await pilot.press("f12")  # bound nowhere: up to the app, as before
        assert reached == ["f12"]
        await pilot.press("slash", "o", "u", "t")
        await pilot.pause()
        assert screen.query_one("#search", Input).value == "out"


async def test_enter_on_a_search_draws_the_results_not_the_field(
        app: TuideskApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """The field closes a few frames after the results; Textual drew it again without its
    cursor in the results' own frame (Input hides the cursor on blur)."""
    from textual._compositor import Compositor
    from textual.geometry import Region
    from textual.widgets import Input

    frames: list[list[Region]] = []
    real = Compositor.render_update

    def render_update(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        frames.append(list(self._dirty_regions))
        return real(self, *args, **kwargs)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = queue_screen(app)
        await pilot.press("slash", *"billing")
        await pilot.pause()
        field = screen.query_one("#search", Input)
        where = field.region
        monkeypatch.setattr(Compositor, "render_update", render_update)
        await pilot.press("enter")
        assert screen.focused is screen.query_one(QueueList)
        assert screen.search_text == "billing"
        results = frames[0]  # the frame that answers Enter
        queue = screen.query_one(QueueList)
        assert [r for r in results if r.overlaps(queue.region)], results
        assert not [r for r in results if r.overlaps(where)], results
        await settle(pilot)
        await pilot.pause(0.1)
        assert not screen.query_one("#search-box").display  # closed after the results


async def test_no_stylesheet_rule_depends_on_the_panes_focus(app: TuideskApp) -> None:
    """QueueList and ConversationDetail show focus themselves (QuietFocus): a `:focus` rule
    for either would never apply."""
    import re

    pane = re.compile(r"(QueueList|ConversationDetail|#queue|#detail)(?![-\w])[^ >]*:focus")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        found = [sel for rule in app.stylesheet.rules for sel in rule.selectors.split(",")
                 if pane.search(sel)]
        assert found == []
        # The check itself finds such a rule.
        assert pane.search("QueueList:focus > .queue-list--cursor")
        assert pane.search(".-wide #detail:focus")


async def test_the_footer_draws_again_only_when_its_keys_change(
        app: TuideskApp, monkeypatch: pytest.MonkeyPatch) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = queue_screen(app).query_one(QueueFooter)
        text = footer.render_lines(footer.region.reset_offset)[0].text
        assert "/ Search" in text and "? Help" in text and "q Quit" in text
        asked: list[object] = []
        real = QueueFooter.refresh

        def refresh(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            asked.append(args)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(QueueFooter, "refresh", refresh)
        await pilot.press("enter", "escape", "j")
        await settle(pilot)
        assert asked == []  # the same keys apply in both panes
        await pilot.press("slash")
        await pilot.pause()
        assert asked  # in the search field the queue's actions do not apply
        assert "r Reply" not in footer.render_lines(footer.region.reset_offset)[0].text


async def test_a_click_on_a_footer_key_presses_it(app: TuideskApp) -> None:
    from tuidesk.ui.screens.help import HelpModal

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = queue_screen(app).query_one(QueueFooter)
        text = footer.render_lines(footer.region.reset_offset)[0].text
        await pilot.click(QueueFooter, offset=(text.index("? Help") + 2, 0))
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)


async def test_full_collections_wait_until_input_pauses(
        app: TuideskApp, restore_gc: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's full collections paused the app 57-103 ms in the middle of keystrokes at
    1M; they run only after a second without input."""
    full: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert gc.get_threshold()[2] == app_module.IDLE_ONLY
        gc.callbacks.append(watch)
        try:
            garbage = [[] for _ in range(1000)]
            for x in garbage:
                x.append(x)  # cycles only a full collection would find once they age
            del garbage
            gc.collect(1)
            await pilot.press("j")
            app._collect_when_idle()
            assert full == [], "a full collection ran right after a key"
            monkeypatch.setattr(app, "_last_input", app._last_input - 2)
            app._collect_when_idle()
            assert full == [1]
        finally:
            gc.callbacks.remove(watch)


async def test_start_up_and_a_resize_draw_the_whole_screen_no_more_than_twice(
        app: TuideskApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each full frame is the whole screen over the wire (~10 KB at 120x40). Textual's blank
    default screen under the queue laid itself out on each resize and made the queue repaint
    all of itself, and a tick that had to lay out and repaint drew twice: three full frames
    at start-up and per resize here (four at start-up in a terminal). Left: the first layout
    and the one its resized widgets ask for."""
    from textual._compositor import Compositor

    full: list[int] = []
    real = Compositor.render_update

    def render_update(self, full_update=False, *args, **kwargs):  # type: ignore[no-untyped-def]
        if full_update or self.size.region in self._dirty_regions:
            full.append(1)
        return real(self, full_update, *args, **kwargs)

    monkeypatch.setattr(Compositor, "render_update", render_update)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert 1 <= len(full) <= 2
        assert app._background_screens == []  # the queue is opaque: nothing shows through
        full.clear()
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert 1 <= len(full) <= 2
        await pilot.press("question_mark")  # a modal: the queue shows around it
        await pilot.pause()
        assert app._background_screens == [queue_screen(app)]
