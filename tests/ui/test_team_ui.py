"""Teamwork in the app: presence, duplicate-answer guard, holding replies, promises."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from support import move_to, queue_screen, settle
from tuidesk.services import Services
from tuidesk.ui.app import TuideskApp
from tuidesk.ui.screens.composer import ReplyComposerModal
from tuidesk.ui.screens.confirm import ConfirmModal
from tuidesk.ui.screens.escalate import EscalateModal
from tuidesk.ui.widgets.conversation_detail import ConversationDetail

SIZE = (100, 30)


def detail(app: TuideskApp) -> str:
    return str(queue_screen(app).query_one(ConversationDetail).body.render())


async def test_presence_of_other_agents_is_shown(app: TuideskApp, demo_services: Services
                                                 ) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = queue_screen(app)
        await settle(pilot)  # the detail pane is drawn: sam comes after
        cid = screen.selected.id
        demo_services.for_agent("sam").heartbeat(cid, "drafting")
        for _ in range(5):  # five one-second poll ticks (sam shares our connection here, so
            screen._poll()  # data_version does not move: the presence check finds him)
        await settle(pilot)
        assert "Also here: sam (drafting)" in detail(app)
        # and mine is visible to them
        assert demo_services.for_agent("sam").presence(cid) == "tester (viewing)"
        await pilot.press("r")
        assert demo_services.for_agent("sam").presence(cid) == "tester (drafting)"


async def test_duplicate_answer_needs_confirmation(app: TuideskApp, demo_services: Services
                                                   ) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = queue_screen(app).selected.id
        await pilot.press("r", *"hi")
        demo_services.replies_for("sam").reply(cid, "Sam here, on it", "public")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        assert [o.agent for o in demo_services.inbox.conversation(cid).outbox] == ["sam"]
        assert demo_services.replies.stored(cid).text == "hi"
        await pilot.press("7")
        move_to(app, cid)
        await settle(pilot)
        await pilot.press("r")
        assert app.screen.query_one(TextArea).text == "hi"
        await pilot.press("ctrl+s", "y")
        assert [o.agent for o in demo_services.inbox.conversation(cid).outbox] == [
            "sam", "tester"]


async def test_escalation_offers_a_holding_reply_then_comes_back(app: TuideskApp,
                                                                 demo_services: Services
                                                                 ) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = queue_screen(app).selected.id
        await pilot.press("e")
        assert isinstance(app.screen, EscalateModal)
        await pilot.press("down", "down", "tab")  # field technician
        app.screen.query_one(Input).value = "router swapped twice"
        await pilot.press("enter")
        assert isinstance(app.screen, ReplyComposerModal)
        assert "technician visit" in app.screen.query_one(TextArea).text
        await pilot.press("ctrl+s")
        conv = demo_services.inbox.conversation(cid)
        # The holding reply is queued; the conversation stays escalated until it comes back.
        assert conv.row.status == "escalated" and conv.outbox[-1].state == "queued"
        assert conv.escalations[-1].target == "field technician"
        await pilot.press("4")
        move_to(app, cid)
        await settle(pilot)
        await pilot.press("b")
        conv = demo_services.inbox.conversation(cid)
        assert conv.escalations[-1].status == "answered" and conv.row.status == "open"


async def test_promise_is_recorded_with_a_due_time(app: TuideskApp, demo_services: Services
                                                   ) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = queue_screen(app).selected.id
        await pilot.press("p")
        app.screen.query_one(Input).value = "technician visit Tue 9-12"
        await pilot.press("enter", "down", "enter")  # 4 hours
        conv = demo_services.inbox.conversation(cid)
        assert conv.commitments[0].text == "technician visit Tue 9-12"
        assert conv.commitments[0].due_at == demo_services.inbox.clock() + 4 * 3600
        assert "Promises" in detail(app)


async def test_presence_expires_without_anyone_moving(app: TuideskApp, demo_services: Services,
                                                      clock) -> None:  # type: ignore[no-untyped-def]
    """sam's app died: his 'viewing' goes within its TTL, though nobody moves the cursor."""
    async with app.run_test(size=SIZE) as pilot:
        screen = queue_screen(app)
        await settle(pilot)
        cid = screen.selected.id
        demo_services.for_agent("sam").heartbeat(cid, "viewing")
        for _ in range(5):
            screen._poll()
        await settle(pilot)
        assert "Also here: sam (viewing)" in detail(app)
        clock.advance(demo_services.inbox.PRESENCE_TTL + 1)  # no heartbeat from sam since
        for _ in range(5):  # five one-second poll ticks
            screen._poll()
        await settle(pilot)
        assert "Also here" not in detail(app)


async def test_quitting_clears_my_presence_at_once(app: TuideskApp,
                                                   demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = queue_screen(app).selected.id
        await settle(pilot)
        assert demo_services.for_agent("sam").presence(cid) == "tester (viewing)"
        await pilot.press("q")
    assert demo_services.for_agent("sam").presence(cid) == ""
