"""Power-user triage (issue 18): marks and bulk actions, the `:` command line, saved views,
jumps, links, search in unspaced scripts, keys as bound, $EDITOR."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from support import queue_screen, screen_text, settle
from tuidesk.cli import main, make_app
from tuidesk.models.views import ViewFilter
from tuidesk.services import Services
from tuidesk.ui.app import TuideskApp
from tuidesk.ui.screens.composer import ReplyComposerModal
from tuidesk.ui.screens.confirm import ConfirmModal
from tuidesk.ui.screens.prompt import TextPromptModal
from tuidesk.ui.widgets.conversation_detail import ConversationDetail
from tuidesk.ui.widgets.queue_list import QueueList

SIZE = (100, 30)


def selected(app: TuideskApp) -> int:
    row = queue_screen(app).selected
    assert row is not None
    return row.id


async def command(pilot: object, line: str) -> None:
    """Type a command line as a user does, at full speed (keys may queue up)."""
    keys = ["colon", *["space" if c == " " else c for c in line], "enter"]
    await pilot.press(*keys)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


# -- marks and bulk actions ----------------------------------------------------------------


async def test_fifty_marked_resolve_as_one_action_and_one_undo(
        app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = queue_screen(app)
        last_event = demo_services.inbox.events(limit=1)[-1].id
        await pilot.press(*["v"] * 50)
        first = [screen.window.get(i).id for i in range(50)]  # type: ignore[union-attr]
        assert list(screen.marks) == first
        assert screen.query_one(QueueList).cursor == 50
        assert "✓ 50 marked" in screen_text(app)
        await pilot.press("x")
        await pilot.pause()
        rows = demo_services.inbox.rows(first)
        assert {r.status for r in rows} == {"resolved"}
        assert not screen.marks and "marked" not in screen_text(app)
        events = [e for e in demo_services.inbox.events(limit=200)
                  if e.action == "resolve" and e.id > last_event]
        assert sorted(e.conversation_id for e in events) == sorted(first)  # one event each
        await pilot.press("u")
        await pilot.pause()
        assert "resolved" not in {r.status for r in demo_services.inbox.rows(first)}
        assert any("Undid resolve on 50 conversations" in n.message
                   for n in app._notifications)


async def test_marks_show_on_rows_and_esc_clears_them(app: TuideskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("v", "v", "k")
        rows = [x for x in screen_text(app).splitlines() if " over " in x or " in " in x]
        assert rows[0].startswith("*") and rows[1].startswith("*")
        assert not rows[2].startswith("*")
        await pilot.press("v")  # on a marked row: unmarks it
        assert len(queue_screen(app).marks) == 1
        await pilot.press("escape")
        assert not queue_screen(app).marks
        assert "marked" not in screen_text(app)


async def test_bulk_keys_prompt_once_for_all_marked(app: TuideskApp,
                                                    demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("v", "v", "v")
        ids = list(queue_screen(app).marks)
        await pilot.press("t")
        assert isinstance(app.screen, TextPromptModal)
        await pilot.press(*"vip", "enter")
        await pilot.pause()
        assert all("vip" in demo_services.inbox.conversation(c).tags for c in ids)
        await pilot.press("V")  # every conversation listed
        assert len(queue_screen(app).marks) == queue_screen(app).window.total


# -- the command line ------------------------------------------------------------------------


async def test_command_line_acts_by_name_with_arguments(app: TuideskApp,
                                                        demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cid = selected(app)
        await command(pilot, "tag billing outage")
        assert {"billing", "outage"} <= set(demo_services.inbox.conversation(cid).tags)
        await command(pilot, "snooze 3h")
        assert demo_services.inbox.row(cid).status == "snoozed"
        await command(pilot, "view snoozed")
        assert queue_screen(app).view == "snoozed"
        await command(pilot, "view waiting")
        assert queue_screen(app).view == "pending"
        await command(pilot, "301")
        assert selected(app) == 301
        await command(pilot, "#12")
        assert selected(app) == 12
        await command(pilot, "frobnicate")
        assert "No command 'frobnicate'" in screen_text(app)


async def test_command_line_completes_and_remembers(app: TuideskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("colon", "e", "s", "c", "tab")
        line = queue_screen(app).query_one("#command", Input)
        assert line.value == "escalate"
        await pilot.press("space", "t", "tab")
        assert line.value == "escalate tier 2"
        await pilot.press("tab")
        assert line.value == "escalate tier 3"  # Tab again: the next candidate
        await pilot.press("escape")
        await command(pilot, "view all")
        await pilot.press("colon", "up")
        assert line.value == "view all"
    # History is kept between runs, in the user state dir.
    from tuidesk.ui.screens.queue_commands import load_history

    assert load_history()[-1] == "view all"


async def test_assign_completes_known_agents_and_asks_about_a_new_name(
        app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cid = selected(app)
        known = demo_services.inbox.known_agents()
        assert "sam" in known
        await pilot.press("a", "s", "tab")
        assert app.screen.query_one(Input).value == "sam"
        await pilot.press("escape")
        await pilot.press("a", *"kimm", "enter")
        assert isinstance(app.screen, ConfirmModal)  # a typo is caught
        await pilot.press("n")
        await pilot.pause()
        assert demo_services.inbox.row(cid).assignee != "kimm"
        await command(pilot, "assign newbie")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await pilot.pause()
        assert demo_services.inbox.row(cid).assignee == "newbie"


# -- saved views -----------------------------------------------------------------------------


def with_views(services: Services, *views: ViewFilter) -> Services:
    services.inbox.saved_views = {v.name: v for v in views}
    services.settings = replace(services.settings, views=views)
    return services


BILLING = ViewFilter("billing", "Billing", tags=("billing",), statuses=("new", "open"))


async def test_saved_view_is_a_tab_with_its_count(demo_services: Services) -> None:
    app = make_app(with_views(demo_services, BILLING))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "8 Billing" in screen_text(app).splitlines()[0]
        await pilot.press("8")
        screen = queue_screen(app)
        assert screen.view == "billing"
        rows = [screen.window.get(i) for i in range(screen.window.total)]
        assert rows and all(r is not None and r.status in ("new", "open") for r in rows)
        assert all("billing" in demo_services.inbox.conversation(r.id).tags for r in rows)
        assert re.search(rf"8 Billing\s*{screen.window.total}\s", screen_text(app))
        keys = [demo_services.inbox.key_of("billing", r) for r in rows]
        assert keys == sorted(keys)  # soonest due first


def test_list_view_uses_the_same_definitions(demo_services: Services, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = Path(os.environ["TUIDESK_CONFIG_FILE"])
    config.write_text('[views.billing]\ntitle = "Billing"\ntag = ["billing"]\n'
                      'status = ["new", "open"]\n')
    db = demo_services.db_path
    assert main(["--db", db, "list", "--view", "billing", "--json"]) == 0
    listed = [c["id"] for c in json.loads(capsys.readouterr().out)]
    app_rows = with_views(demo_services, BILLING).inbox.page("billing", None, 1000)
    assert listed == [r.id for r in app_rows] and listed
    assert main(["--db", db, "list", "--view", "nope"]) == 2
    assert "no view 'nope'" in capsys.readouterr().err
    # The app's words work: Waiting, and the list starts on the Inbox as the app does.
    assert main(["--db", db, "list", "--view", "waiting", "--json"]) == 0
    waiting = json.loads(capsys.readouterr().out)
    assert waiting and {c["status"] for c in waiting} == {"pending"}
    assert main(["--db", db, "list", "--json"]) == 0
    inbox = [c["id"] for c in json.loads(capsys.readouterr().out)]
    assert inbox == [r.id for r in demo_services.inbox.page("inbox", None, 1000)]


# -- jumps and links ---------------------------------------------------------------------------


async def test_hash_number_in_search_opens_that_conversation(app: TuideskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", "#", "3", "0", "1", "enter")
        await pilot.pause()
        assert selected(app) == 301
        assert "#301" in str(queue_screen(app).query_one(ConversationDetail).body.render())
        await pilot.press("2", "slash", "#", "3", "0", "1", "enter")  # not in Mine: alone
        await pilot.pause()
        assert selected(app) == 301
        assert "Search '#301'  1 conversation  ·  Esc returns to Mine" in screen_text(app)
        await pilot.press("slash", "#", "9", "9", "9", "9", "9", "enter")
        await pilot.pause()
        assert "No conversation #99999" in screen_text(app)


async def test_links_show_open_in_the_browser_and_copy(
        app: TuideskApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import webbrowser

    opened = tmp_path / "opened"
    browser = tmp_path / "browser.sh"
    browser.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > {opened}\n")
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("BROWSER", str(browser))
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        conv = queue_screen(app).inbox.conversation(selected(app))
        url = [m.url for m in conv.messages if m.url][-1]
        assert url in screen_text(app).replace("\n", "") or "↗" in screen_text(app)
        await pilot.press("O")
        await pilot.pause(0.5)
        assert opened.read_text() == url
        await pilot.press("y")
        assert app.clipboard == url


# -- search --------------------------------------------------------------------------------------


@pytest.fixture
def written(demo_services: Services) -> Services:
    from fakes import mention

    texts = ["我的路由器坏了，请帮忙 🙏", "ETA: tomorrow? NOT sure (really) \"quoted",
             "ルーターが壊れました", "สวัสดีครับ เน็ตเสีย"]
    demo_services.ingest.ingest([replace(mention(9000 + i), text=t)
                                 for i, t in enumerate(texts)])
    return demo_services


QUERIES = {"路由器": 0, "🙏": 0, "坏了": 0, "路由器 🙏": 0, "ルーター": 2, "เน็ต": 3,
           "ETA: tomorrow": 1, "tomorrow?": 1, "(really)": 1}
OPERATORS = ["*", "NOT", "AND", "OR", "NEAR", "(", ")", '"', ":", "^", "-", "+", "*refund"]


def found(services: Services, text: str) -> list[str]:
    return [r.preview for r in services.inbox.search(text)]


@pytest.mark.parametrize("query", list(QUERIES))
def test_search_finds_what_was_written(written: Services, query: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["我的路由器坏了", "ETA: tomorrow", "ルーターが", "สวัสดีครับ"]
    want = texts[QUERIES[query]]
    assert any(want in p for p in found(written, query)), found(written, query)
    assert main(["--db", written.db_path, "list", "--search", query, "--json"]) == 0
    assert any(want in c["preview"] for c in json.loads(capsys.readouterr().out))


@pytest.mark.parametrize("query", OPERATORS)
def test_every_operator_alone_is_text_not_an_error(written: Services, query: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    found(written, query)  # no QueryError, no "no such column"
    assert main(["--db", written.db_path, "list", "--search", query]) == 0
    assert "Traceback" not in capsys.readouterr().err


async def test_cjk_search_in_the_app(written: Services) -> None:
    app = make_app(written)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        queue_screen(app).query_one("#search", Input).value = "路由器"
        await pilot.press("enter")
        await pilot.pause()
        assert "1 conversation  ·" in screen_text(app)
        assert "路由器" in queue_screen(app).selected.preview  # type: ignore[union-attr]
        for op in ("ETA: tomorrow", "NOT", "*", "("):
            await pilot.press("slash")
            queue_screen(app).query_one("#search", Input).value = op
            await pilot.press("enter")
            await pilot.pause()
            assert "no such column" not in screen_text(app)
            assert app.is_running


# -- keys ------------------------------------------------------------------------------------


async def test_j_and_k_scroll_the_detail_pane_and_it_opens_at_the_top(app: TuideskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        detail = queue_screen(app).query_one(ConversationDetail)
        await pilot.press("enter")  # into the detail pane
        assert app.focused is detail
        await pilot.press("j", "j", "j")
        await pilot.pause()
        assert detail.scroll_y == 3
        await pilot.press("k")
        await pilot.pause()
        assert detail.scroll_y == 2
        await pilot.press("G")
        await pilot.pause()
        assert detail.scroll_y == detail.max_scroll_y > 3
        await pilot.press("escape", "j")  # back to the list, next conversation
        await settle(pilot)
        assert detail.scroll_y == 0


async def test_help_shows_every_key_as_bound_and_scrolls(demo_services: Services) -> None:
    svc = demo_services
    svc.settings = replace(svc.settings, keymap={"queue.resolve": "z"})
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        body = app.screen.query_one("#help-body")
        text = str(body.render())
        for shown in ("S ", "Ctrl+P", "Ctrl+S", "Ctrl+O", "queue.mark", "composer.send",
                      "detail.down", ":assign AGENT"):
            assert shown in text, shown
        line = next(x for x in text.splitlines() if "queue.resolve" in x)
        assert line.split()[0] == "z"
        # Columns: a long description never runs into the id, which starts in one column.
        starts = {x.index(" queue.") for x in text.splitlines() if " queue." in x}
        assert len(starts) == 1
        scroller = app.screen.query_one("VerticalScroll")
        await pilot.press("j", "j")
        await pilot.pause()
        assert scroller.scroll_y == 2
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Resolve (z)" in titles and "Sync now (S)" in titles
        assert "Help (?)" in titles and not any("question_mark" in t for t in titles)


def test_unknown_or_clashing_binding_is_refused_with_its_line(demo_services: Services) -> None:
    from tuidesk.errors import ConfigError

    config = Path(os.environ["TUIDESK_CONFIG_FILE"])
    config.write_text('agent = "tester"\n\n[keys]\n"queue.clam" = "C"\n')
    svc = replace(demo_services.settings, keymap={"queue.clam": "C"}, config_path=config)
    demo_services.settings = svc
    with pytest.raises(ConfigError, match=r"config.toml line 4: \[keys\] queue.clam: no such "
                                          r"binding \(did you mean queue.claim\?\)"):
        make_app(demo_services)
    config.write_text('[keys]\n"queue.note" = "x"\n')
    demo_services.settings = replace(svc, keymap={"queue.note": "x"})
    with pytest.raises(ConfigError, match=r"line 2: \[keys\] queue.note: x is already "
                                          r"queue.resolve"):
        make_app(demo_services)


def test_a_bad_binding_stops_the_start_with_one_line(tmp_path: Path) -> None:
    import subprocess

    config = Path(os.environ["TUIDESK_CONFIG_FILE"])
    config.write_text('[keys]\n"queue.bogus" = "b"\n')
    proc = subprocess.run([sys.executable, "-m", "tuidesk", "demo", "--db",
                           str(tmp_path / "d.db")], capture_output=True, text=True,
                          timeout=120, env=os.environ | {"TERM": "dumb"})
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines()[-1].endswith(
        "line 2: [keys] queue.bogus: no such binding (the ids are in the README's key "
        "table and in ? help)")


async def test_header_follows_a_resize_made_under_a_modal(app: TuideskApp) -> None:
    from tuidesk.ui.widgets.queue_list import header_text

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        screen = queue_screen(app)
        width = screen.query_one(QueueList).rows_width
        header = str(screen.query_one("#queue-header").render())
        assert header == header_text(width)


async def test_no_color_overdue_times_stand_out(demo_services: Services,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.color import Color

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        queue = queue_screen(app).query_one(QueueList)
        strip = queue.render_line(0)  # not the cursor row
        segments = list(strip)
        due = next(s for s in segments if "over" in s.text)
        who = segments[3]
        assert due.style is not None and who.style is not None
        # Reverse video: the overdue time is drawn light on dark-inverted, the most
        # prominent text on the row, whatever greys the terminal's colours become.
        assert due.style.reverse and due.style.bold
        assert not who.style.reverse
        assert isinstance(who.style.color, Color | None)


# -- $EDITOR -----------------------------------------------------------------------------------


async def test_compose_in_editor_comes_back_with_text_and_counter(
        app: TuideskApp, demo_services: Services, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'Hi, a technician comes Tuesday 9-12.\\n' >> \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cid = selected(app)
        await pilot.press("r", *"Dear customer. ", "ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ReplyComposerModal)
        text = app.screen.query_one(TextArea).text
        assert text == "Dear customer. Hi, a technician comes Tuesday 9-12."
        count = str(app.screen.query_one("#composer-count").render())
        assert count.startswith(str(app.screen.length(app.screen.current)[0]))
        assert demo_services.replies.stored(cid).text == text  # saved after
        monkeypatch.setenv("EDITOR", "false")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "false exited with 1" in str(app.screen.query_one("#composer-error").render())
        assert app.screen.query_one(TextArea).text == text
        await pilot.press("escape")
        await command(pilot, "edit")  # straight from the queue
        await pilot.pause()
        assert isinstance(app.screen, ReplyComposerModal)


# -- search results hold still while a colleague works ------------------------------------------

COLLEAGUE = """
import sys, time
from pathlib import Path
from tuidesk.config import Settings
from tuidesk.services import open_services
svc = open_services(sys.argv[1], Settings(agent="kim"))
ids = [r.id for r in svc.inbox.page("all", None, 50)]
stop = Path(sys.argv[2])
i = 0
while not stop.exists() and i < 600:  # an open app: a heartbeat on what kim looks at
    svc.inbox.heartbeat(ids[i % len(ids)])
    i += 1
    time.sleep(0.05)
svc.close()
"""


async def test_search_cursor_stays_while_another_agents_app_writes(
        app: TuideskApp, demo_services: Services, tmp_path: Path) -> None:
    import subprocess

    stop = tmp_path / "stop"
    other = subprocess.Popen([sys.executable, "-c", COLLEAGUE, demo_services.db_path,
                              str(stop)])
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("slash")
            queue_screen(app).query_one("#search", Input).value = "support"
            await pilot.press("enter", "end")
            await settle(pilot)
            screen = queue_screen(app)
            assert screen.window.total > 150  # more than one batch of results
            where, chosen = screen.query_one(QueueList).cursor, selected(app)
            for _ in range(3):  # the other process commits; our app notices and reloads
                version = screen.inbox.data_version()
                for _ in range(200):
                    await pilot.pause(0.02)
                    if screen.inbox.data_version() != version:
                        break
                else:
                    raise AssertionError("the other agent's app never wrote")
                screen._poll()
                await settle(pilot)
                assert (screen.query_one(QueueList).cursor, selected(app)) == (where, chosen)
    finally:
        stop.touch()
        other.wait(timeout=30)


async def test_a_large_saved_view_shows_its_first_page_then_its_count(
        demo_services: Services) -> None:
    big = ViewFilter("open", "Open", statuses=("new", "open"))
    app = make_app(with_views(demo_services, big))
    want = demo_services.inbox.count("open")
    assert want > 80  # more than the first page
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("8")
        screen = queue_screen(app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.window.total == want and not screen.window.counting
        assert re.search(rf"8 Open\s*{want}\s", screen_text(app))
        await pilot.press("end")
        await settle(pilot)
        assert screen.query_one(QueueList).cursor == want - 1
        last = demo_services.inbox.page_before("open", None, 1)[0]
        assert selected(app) == last.id
