"""Pilot tests: every key on the queue screen does what the footer and help say."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from textual import events
from textual.widgets import Input, TextArea

from support import move_to, queue_screen, screen_text, settle
from tuidesk.services import Services
from tuidesk.ui.app import TuideskApp
from tuidesk.ui.screens.composer import ReplyComposerModal
from tuidesk.ui.screens.escalate import EscalateModal
from tuidesk.ui.screens.help import HelpModal
from tuidesk.ui.screens.prompt import TextPromptModal
from tuidesk.ui.screens.queue import QueueScreen
from tuidesk.ui.screens.snooze import SnoozeModal
from tuidesk.ui.widgets.conversation_detail import ConversationDetail
from tuidesk.ui.widgets.queue_list import QueueList
from tuidesk.ui.widgets.view_bar import ViewBar

SIZE = (100, 30)


def detail_text(app: TuideskApp) -> str:
    return str(queue_screen(app).query_one(ConversationDetail).body.render())


def selected_id(app: TuideskApp) -> int:
    row = queue_screen(app).selected
    assert row is not None
    return row.id


async def test_queue_starts_on_inbox_sorted_by_due(app: TuideskApp, demo_services: Services
                                                   ) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = queue_screen(app)
        assert screen.view == "inbox"
        expected = demo_services.inbox.page("inbox", None, 5)
        assert screen.selected == expected[0]
        dues = [r.due_at for r in expected]
        assert dues == sorted(dues)
        assert f"@{expected[0].customer}" in detail_text(app)
        assert "Inbox" in screen_text(app)


async def test_queue_cursor_keys(app: TuideskApp, demo_services: Services) -> None:
    rows = demo_services.inbox.page("inbox", None, 1000)
    async with app.run_test(size=SIZE) as pilot:
        queue = app.screen.query_one(QueueList)
        await pilot.press("j")
        assert queue.cursor == 1 and selected_id(app) == rows[1].id
        await pilot.press("down", "down")
        assert queue.cursor == 3
        await pilot.press("k", "up")
        assert queue.cursor == 1
        await pilot.press("G")
        assert selected_id(app) == rows[-1].id
        await pilot.press("g")
        assert queue.cursor == 0
        await pilot.press("end")
        assert queue.cursor == len(rows) - 1
        await pilot.press("home", "pagedown")
        page = queue.cursor
        assert page > 5
        await pilot.press("space")
        assert queue.cursor == 2 * page
        await pilot.press("pageup")
        assert queue.cursor == page
        assert selected_id(app) == rows[page].id


async def test_enter_opens_detail_and_escape_returns(app: TuideskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert isinstance(app.focused, ConversationDetail)
        await pilot.press("escape")
        assert isinstance(app.focused, QueueList)


@pytest.mark.parametrize(("key", "view"), [("1", "inbox"), ("2", "mine"), ("3", "pending"),
                                          ("4", "escalated"), ("5", "snoozed"),
                                          ("6", "resolved"), ("7", "all")])
async def test_number_keys_switch_views(app: TuideskApp, demo_services: Services, key: str,
                                        view: str) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7" if key != "7" else "1")
        await pilot.press(key)
        screen = queue_screen(app)
        assert screen.view == view
        assert screen.window.total == demo_services.inbox.count(view)
        first = demo_services.inbox.page(view, None, 1)
        assert screen.selected == (first[0] if first else None)


async def test_claim_and_claim_conflict(app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        await pilot.press("c")
        assert demo_services.inbox.row(cid).assignee == "tester"
        await pilot.press("j")
        other = selected_id(app)
        demo_services.for_agent("sam").claim(other)
        await pilot.press("c")
        await pilot.pause()
        assert demo_services.inbox.row(other).assignee == "sam"
        assert any("Already claimed by sam" in n.message for n in app._notifications)


async def test_assign_tag_note(app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        await pilot.press("a")
        assert isinstance(app.screen, TextPromptModal)
        await pilot.press(*"kim", "enter")
        assert demo_services.inbox.row(cid).assignee == "kim"
        await pilot.press("7")  # All: the conversation stays visible whoever holds it
        move_to(app, cid)
        await pilot.pause()
        assert selected_id(app) == cid
        await pilot.press("t")
        app.screen.query_one(Input).value = "billing, #Outage"
        await pilot.press("enter")
        assert demo_services.inbox.conversation(cid).tags == ("billing", "outage")
        await pilot.press("n")
        await pilot.press(*"called", "enter")
        await pilot.pause()
        assert "called" in detail_text(app)
        notes = demo_services.inbox.conversation(cid).notes
        assert notes[-1].text == "called" and notes[-1].agent == "tester"


async def test_snooze_preset_and_custom(app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        await pilot.press("s")
        assert isinstance(app.screen, SnoozeModal)
        await pilot.press("enter")  # first preset: 1 hour
        row = demo_services.inbox.row(cid)
        assert row.status == "snoozed"
        assert demo_services.inbox.conversation(cid).snoozed_until == \
            demo_services.inbox.clock() + 3600
        second = selected_id(app)
        assert second != cid  # it left the inbox
        await pilot.press("5")
        lines = [app.screen.query_one(QueueList).render_line(y).text for y in range(3)]
        assert any("wakes 1h" in line for line in lines)
        await pilot.press("1")
        await pilot.press("s", "tab")
        app.screen.query_one(Input).value = "yesterday"
        await pilot.press("enter")
        assert isinstance(app.screen, SnoozeModal)  # refused, inline error
        app.screen.query_one(Input).value = "+2d"
        await pilot.press("enter")
        assert demo_services.inbox.conversation(second).snoozed_until == \
            demo_services.inbox.clock() + 2 * 86400


async def test_escalate_requires_reason(app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        await pilot.press("e")
        assert isinstance(app.screen, EscalateModal)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, EscalateModal)  # no reason: refused
        assert isinstance(app.focused, Input)  # ... and the reason field has the focus
        app.screen.query_one(Input).value = "needs a field visit"
        await pilot.press("enter")
        conv = demo_services.inbox.conversation(cid)
        assert conv.row.status == "escalated"
        assert conv.escalations[-1].target == "tier 3"
        assert conv.escalations[-1].reason == "needs a field visit"


async def test_resolve_reopen_undo(app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        await pilot.press("x")
        assert demo_services.inbox.row(cid).status == "resolved"
        assert selected_id(app) != cid  # resolved work leaves the inbox
        await pilot.press("u")
        assert demo_services.inbox.row(cid).status == "new"
        assert selected_id(app) == cid  # and undo brings it back where it was
        await pilot.press("6")
        resolved = selected_id(app)
        await pilot.press("o")
        assert demo_services.inbox.row(resolved).status in ("open", "pending")
        assert [e.action for e in demo_services.inbox.events(limit=3)] == [
            "resolve", "undo", "reopen"]


async def test_undo_with_nothing_to_undo_warns(app: TuideskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        await pilot.pause()
        assert any("Nothing to undo" in n.message for n in app._notifications)


async def test_reply_with_saved_reply_goes_to_outbox(app: TuideskApp,
                                                     demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        await pilot.press("d")
        assert isinstance(app.screen, ReplyComposerModal)
        assert app.screen.draft.visibility == "direct"
        await pilot.press("ctrl+r")
        await pilot.press(*"outage", "enter")
        assert isinstance(app.screen, ReplyComposerModal)
        text = app.screen.query_one(TextArea).text
        assert "there is a known outage" in text and "{customer}" not in text
        assert "tester" in text
        await pilot.press("ctrl+s")
        outbox = demo_services.inbox.conversation(cid).outbox
        assert outbox[-1].state == "queued" and outbox[-1].visibility == "direct"
        assert demo_services.inbox.row(cid).status == "pending"
        await pilot.press("7")
        move_to(app, cid)
        await settle(pilot)
        assert "queued DM by tester" in detail_text(app)
        assert "cannot be delivered here: no mastodon account for" in detail_text(app)


async def test_composer_draft_survives_close(app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        await pilot.press("r")
        await pilot.press(*"hello")
        await pilot.press("ctrl+t")  # toggles visibility and saves the draft at once
        draft = demo_services.replies.stored(cid)
        assert draft is not None and draft.text == "hello"
        await pilot.press("escape")
        assert not isinstance(app.screen, ReplyComposerModal)
        await pilot.press("r")
        assert app.screen.query_one(TextArea).text == "hello"


async def test_composer_refuses_over_limit(app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        await pilot.press("r")
        app.screen.query_one(TextArea).text = "x" * 600
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ReplyComposerModal)
        assert demo_services.inbox.conversation(cid).outbox == ()


async def test_search_and_malformed_query(app: TuideskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        app.focused.value = 'router: AND "unclosed'  # not search syntax: its words
        await pilot.press("enter")
        screen = queue_screen(app)
        assert screen.search_text == 'router: AND "unclosed'
        await pilot.pause()
        assert "  0 conversations  ·  Esc returns to" in str(
            screen.query_one(ViewBar).render())
        await pilot.press("slash")
        app.focused.value = "technician"
        await pilot.press("enter")
        assert screen.search_text == "technician"
        assert screen.window.total > 0
        assert "technician" in detail_text(app).lower()
        await pilot.press("escape")
        assert screen.search_text is None and screen.view == "inbox"


async def test_search_tables_are_opened_after_start_and_a_fault_there_is_quiet(
        app: TuideskApp, monkeypatch: pytest.MonkeyPatch) -> None:
    from tuidesk.errors import StoreError
    from tuidesk.ui.screens.queue_search import PREPARE_SEARCH_AFTER

    calls: list[str] = []

    def failing() -> None:
        calls.append("prepare")
        raise StoreError("the disk failed", "Disk error")

    monkeypatch.setattr(app.services.inbox, "prepare_search", failing)
    reader = app.services.reader()
    assert reader is not None
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(PREPARE_SEARCH_AFTER + 0.3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert calls == ["prepare"]  # once, after the first frame
        assert reader.reads == 1  # the tables' pages were read in a thread first
        assert not app._notifications  # a warm-up's fault is the next search's to report
        await pilot.press("slash", *"technician", "enter")
        assert queue_screen(app).window.total > 0


async def test_queue_loads_the_rows_ahead_once_the_frame_is_drawn(
        app: TuideskApp, demo_services: Services) -> None:
    reader = demo_services.reader()
    assert reader is not None
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7")  # All
        screen = queue_screen(app)
        queue = screen.query_one(QueueList)
        assert screen.view == "all" and screen.window.total > 200
        await pilot.press(*["pagedown"] * 7)  # past the first 80 rows loaded
        await settle(pilot)
        ahead = int(queue.scroll_offset.y) + 2 * queue.size.height
        assert ahead < screen.window.total
        assert ahead in screen.window._rows  # type: ignore[union-attr]
        assert reader.reads > 0  # read in a thread, on the reader's connection
        whole = demo_services.inbox.page("all", None, ahead + 1)
        assert [screen.window.get(i) for i in range(ahead + 1)] == whole


def hold(monkeypatch: pytest.MonkeyPatch, name: str) -> tuple[
        list[tuple[object, bool]], threading.Event, threading.Event]:
    """Make Reader.`name`'s first call wait until released: (calls with the argument and
    whether they ran on the main thread, entered, release)."""
    from tuidesk.services.reader import Reader

    real = getattr(Reader, name)
    calls: list[tuple[object, bool]] = []
    entered, release = threading.Event(), threading.Event()

    def held(self: Reader, arg: object, *more: object) -> object:
        calls.append((arg, threading.current_thread() is threading.main_thread()))
        if len(calls) == 1:
            entered.set()
            release.wait(10)
        return real(self, arg, *more)

    monkeypatch.setattr(Reader, name, held)
    return calls, entered, release


async def test_keys_never_wait_for_the_detail_read_and_a_late_one_is_dropped(
        app: TuideskApp, demo_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 10M with a cold cache a detail read took 46-73 ms on the main thread, and a key
    that came meanwhile waited for it. It is read in a thread now: keys go on while it
    reads, and what it brings back for a row the cursor has left is not drawn."""
    rows = demo_services.inbox.page("inbox", None, 5)
    calls, entered, release = hold(monkeypatch, "detail")
    async with app.run_test(size=SIZE) as pilot:
        screen = queue_screen(app)
        await pilot.press("j")
        for _ in range(100):
            await pilot.pause(0.03)
            if entered.is_set():
                break
        assert calls == [(rows[1].id, False)]  # the cursor rested: read in a thread
        await pilot.press("j", "j")
        assert not release.is_set()  # the read is still held
        assert screen.queue_list.cursor == 3 and selected_id(app) == rows[3].id
        for _ in range(100):  # row 3's own read is not held: it is drawn meanwhile
            await pilot.pause(0.03)
            if screen.detail.shown_id == rows[3].id:
                break
        assert calls[-1] == (rows[3].id, False) and not release.is_set()
        release.set()  # row 1's read comes back late
        await settle(pilot)
        assert screen.detail.shown_id == rows[3].id
        assert f"@{rows[3].customer}" in detail_text(app)


async def test_a_failed_read_apart_is_read_again_on_the_main_connection(
        app: TuideskApp, demo_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from tuidesk.errors import StoreError
    from tuidesk.services.reader import Reader

    def failing(self: Reader, *args: object) -> None:
        raise StoreError("disk I/O error", "Disk error")

    monkeypatch.setattr(Reader, "detail", failing)
    monkeypatch.setattr(Reader, "page", failing)
    rows = demo_services.inbox.page("all", None, 200)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7", "j")
        await settle(pilot)
        screen = queue_screen(app)
        assert screen.detail.shown_id == rows[1].id  # drawn all the same
        await pilot.press(*["pagedown"] * 5)
        await settle(pilot)
        assert [screen.window.get(i) for i in range(len(rows))] == rows


async def test_page_down_never_waits_for_the_rows_read_ahead(
        app: TuideskApp, demo_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows ahead are read in a thread; a page down past them while that read is held
    reads what it draws at once, and the late page changes nothing."""
    whole = demo_services.inbox.page("all", None, 2000)
    calls, entered, release = hold(monkeypatch, "page")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7")  # All
        screen = queue_screen(app)
        queue = screen.query_one(QueueList)
        for _ in range(12):
            await pilot.press("pagedown")
            if entered.is_set():
                break
        assert entered.is_set() and calls[0][1] is False
        await pilot.press(*["pagedown"] * 4)
        assert not release.is_set()
        top = int(queue.scroll_offset.y)
        assert screen.selected == whole[queue.cursor]
        assert whole[top].customer[:12] in screen_text(app)
        release.set()
        await settle(pilot)
        assert [screen.window.get(i) for i in range(len(whole))] == whole


async def test_long_search_results_arrive_as_the_cursor_goes_down(app: TuideskApp,
                                                                  demo_services: Services
                                                                  ) -> None:
    """A search matching most messages shows its first batch at once ("100+"), grows as the
    agent moves down, and End reaches the true last result."""
    everything = demo_services.inbox.search_ids("a", limit=100_000)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        app.focused.value = "a"  # type: ignore[union-attr]
        await pilot.press("enter")
        await pilot.pause()
        screen = queue_screen(app)
        queue = screen.query_one(QueueList)
        assert screen.window.total < len(everything)
        assert f"{screen.window.total}+ conversations" in screen_text(app)
        await pilot.press("pagedown", "pagedown", "pagedown")
        assert queue.virtual_size.height == screen.window.total
        await pilot.press("end")
        await settle(pilot)
        assert screen.window.total == len(everything)
        assert queue.cursor == len(everything) - 1
        assert selected_id(app) == everything[-1]
        assert f"{len(everything):,} conversations" in screen_text(app)


async def test_help_lists_every_binding(app: TuideskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpModal)
        text = str(app.screen.query_one("#help-body").render())
        for binding_id in ("queue.reply", "queue.claim", "queue.escalate", "queue.undo",
                           "queue.search", "queue.down", "queue.open", "queue.view_all"):
            assert binding_id in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpModal)


async def test_palette_has_actions(app: TuideskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Reply (r)", "Escalate (e)", "Snooze (s)", "Undo (u)"):
            assert title in titles
        await pilot.press("ctrl+p")
        assert app.screen.__class__.__name__ == "CommandPalette"


async def test_keymap_remaps_a_binding(demo_services: Services) -> None:
    from dataclasses import replace

    from tuidesk.cli import make_app

    demo_services.settings = replace(demo_services.settings, keymap={"queue.claim": "C"})
    app = make_app(demo_services)
    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        await pilot.press("C")
        assert demo_services.inbox.row(cid).assignee == "tester"


async def test_quit(app: TuideskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_changes_by_another_agent_appear(app: TuideskApp, demo_services: Services,
                                               tmp_path) -> None:
    from tuidesk.config import Settings
    from tuidesk.services import open_services

    async with app.run_test(size=SIZE) as pilot:
        cid = selected_id(app)
        other = open_services(demo_services.db_path, Settings(agent="sam"),
                              demo_services.inbox.clock)
        other.inbox.claim(cid)
        other.close()
        screen = queue_screen(app)
        before = screen.window.total
        screen._poll()
        await pilot.pause()
        # Claimed by someone else: it leaves my inbox at once...
        assert screen.window.total == before - 1 and selected_id(app) != cid
        await pilot.press("7")
        move_to(app, cid)
        await settle(pilot)
        # ... and everyone sees who holds it.
        assert "assigned sam" in detail_text(app)


async def test_action_in_search_results_keeps_the_conversation(app: TuideskApp,
                                                               demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"outage", "enter")
        assert queue_screen(app).query_one(QueueList).has_focus  # at once: keys go there
        await pilot.pause()  # the field closes once the results are drawn
        assert not queue_screen(app).query_one("#search-box").display
        screen = queue_screen(app)
        free = [r for r in screen.window.rows if r.assignee is None][2]
        move_to(app, free.id)
        cid = free.id
        await pilot.press("c")
        assert selected_id(app) == cid
        assert demo_services.inbox.row(cid).assignee == "tester"
        assert f"#{cid}" in detail_text(app)


async def test_no_color_is_honoured(demo_services: Services,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tuidesk.cli import make_app

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.no_color
        assert app.screen.query_one(QueueList).current is not None


async def test_busy_database_is_a_message_not_a_crash(app: TuideskApp,
                                                      demo_services: Services) -> None:
    import sqlite3

    blocker = sqlite3.connect(demo_services.db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    # An action waits its turn for `busy_wait` (10 s) before it says busy; shorter here. The
    # heartbeat at start gives up at once on its own (it used to wait the 10 s as well).
    demo_services._store.busy_wait = 0.2
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c")
            await pilot.pause()
            assert app.is_running
            assert any("busy" in n.message for n in app._notifications)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


async def test_view_switch_redraws_the_queue_without_a_layout_pass(
        app: TuideskApp, demo_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Switching views repaints the queue's rows and bars only; the detail pane (and the
    footer, when actions turn on or off) follow once the cursor rests. A layout pass here
    rewrote the whole screen on every view switch (~30 ms and every row's bytes at 120x40)."""
    from textual.widget import Widget

    asked: list[str] = []
    real = Widget.refresh

    def refresh(self, *args, layout: bool = False, **kwargs):  # type: ignore[no-untyped-def]
        if layout:
            asked.append(type(self).__name__)
        return real(self, *args, layout=layout, **kwargs)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = queue_screen(app)
        monkeypatch.setattr(Widget, "refresh", refresh)
        for view in ("all", "inbox", "resolved", "mine", "escalated", "inbox"):
            screen.action_view(view)  # what the key does, synchronously
            assert asked == [], f"switching to {view}: layout asked by {asked}"
            await settle(pilot)  # the detail pane may lay out once the cursor rests
            asked.clear()
            expected = demo_services.inbox.page(view, None, 1)
            assert (screen.selected.id if screen.selected else None) == (
                expected[0].id if expected else None)
            assert screen.query_one(QueueList).cursor == 0



def burst(app: TuideskApp, *keys: str) -> None:
    """Keys queued on the app all at once, as the driver does with one read from the
    terminal (a paste, tmux send-keys, a fast typist over SSH)."""
    for key in keys:
        char = key if len(key) == 1 else {"space": " ", "slash": "/", "colon": ":"}.get(key)
        app.post_message(events.Key(key, char))


async def until_a_field_has_focus(app: TuideskApp) -> None:
    for _ in range(1000):
        if isinstance(app.screen.focused, Input):
            return
        await asyncio.sleep(0)
    raise AssertionError("no field took focus")


@pytest.mark.parametrize("first, rest, check", [
    (("slash", "o", "u"), (*"tage", "enter"), lambda s: s.search_text == "outage"),
    (("colon", "v", "i"), (*"ew", "space", *"waiting", "enter"),
     lambda s: s.view == "pending"),  # shown as Waiting
])
async def test_keys_typed_after_a_field_opens_reach_it_in_order(app: TuideskApp, first: tuple[
        str, ...], rest: tuple[str, ...], check: Callable[[QueueScreen], bool]) -> None:
    """`/outage⏎` read in two parts, the second once `/` has opened the field: every key
    reaches the field in the order typed and Enter submits them. The keys read with `/`
    used to be queued on the list, reach the field only after bubbling back up to the app,
    and so come behind the later ones: a search for 'tageou', or for nothing."""
    async with app.run_test(size=SIZE) as pilot:
        screen = queue_screen(app)
        burst(app, *first)
        await until_a_field_has_focus(app)
        burst(app, *rest)
        await settle(pilot)
        assert check(screen), (screen.search_text, screen.view)
        assert isinstance(app.focused, QueueList)


async def test_a_burst_of_moves_then_claim_claims_the_row_under_the_cursor(
        app: TuideskApp, demo_services: Services) -> None:
    """`jjc` read at once (tmux, a fast typist over SSH) claimed the row the cursor had
    left, and put the cursor back on it: `c` ran before the cursor's Highlighted messages
    had moved the selection."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = queue_screen(app)
        queue = screen.query_one(QueueList)
        rows = [queue.source.get(i) for i in range(3)]  # type: ignore[union-attr]
        assert all(r is not None and r.assignee is None for r in rows)
        burst(app, "j", "j", "c")
        await settle(pilot)
        assert queue.cursor == 2
        claimed = [r.id for r in rows if demo_services.inbox.row(r.id).assignee == "tester"]
        assert claimed == [rows[2].id]
        assert screen.selected is not None and screen.selected.id == rows[2].id
