"""Esc in every composer path loses no text, and "Draft kept." appears only when something
was kept: a new reply, a stored draft, a refused reply, a holding reply, after undo (issue 13).
A refused reply's conversation is back in the Inbox, marked, until it is resent or dropped."""

from __future__ import annotations

import pytest
from textual.widgets import TextArea

from fakes import FakeConnector
from support import move_to, queue_screen, settle
from tuidesk.errors import RemoteError
from tuidesk.models import Delivery, RemoteRef
from tuidesk.services import Services
from tuidesk.services.sync import SyncReport, SyncService
from tuidesk.ui.app import TuideskApp
from tuidesk.ui.screens.composer import ReplyComposerModal

SIZE = (100, 30)


def kept(app: TuideskApp) -> int:
    return sum(n.message == "Draft kept." for n in app._notifications)


def outbox(svc: Services, cid: int) -> list[tuple[str, str]]:
    return [(o.state, o.text) for o in svc.inbox.conversation(cid).outbox]


async def refuse(svc: Services, cid: int, text: str) -> None:
    """Send `text` and let a server refuse it (422), as mastodon-mock does."""
    row = svc.inbox.row(cid)

    class Refusing(FakeConnector):
        async def post(self, delivery: Delivery) -> RemoteRef:
            if delivery.text == text:
                raise RemoteError("POST /api/v1/statuses: 422 Text is too long")
            return await super().post(delivery)

    server = Refusing("acct", row.brand)
    server.network = row.network
    svc.replies.reply(cid, text, "public")
    await SyncService(svc._store, svc.ingest, [server], clock=svc.inbox.clock) \
        .deliver_due(SyncReport())


async def test_esc_on_an_empty_new_reply_keeps_nothing_and_says_nothing(
        app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = queue_screen(app).selected.id
        await pilot.press("r")
        assert isinstance(app.screen, ReplyComposerModal)
        assert app.screen.query_one(TextArea).text == ""
        await pilot.press("escape")
        await pilot.pause()
        assert demo_services.replies.stored(cid) is None and kept(app) == 0


async def test_esc_on_a_new_reply_keeps_it(app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = queue_screen(app).selected.id
        await pilot.press("r", *"on it")
        await pilot.press("escape")
        await pilot.pause()
        assert demo_services.replies.stored(cid).text == "on it" and kept(app) == 1
        await pilot.press("r")  # the stored draft comes back; Esc keeps it again
        assert app.screen.query_one(TextArea).text == "on it"
        await pilot.press("escape")
        await pilot.pause()
        assert demo_services.replies.stored(cid).text == "on it" and kept(app) == 2
        assert outbox(demo_services, cid) == []


async def test_a_refused_reply_is_edited_not_deleted(app: TuideskApp,
                                                     demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = queue_screen(app).selected.id
        await refuse(demo_services, cid, "Sorry for the wait, we're on it.")
        row = demo_services.inbox.row(cid)
        assert row.reply_failed and row.status == "open"  # back in the Inbox, marked
        queue_screen(app).reload()
        move_to(app, cid)
        await settle(pilot)
        await pilot.press("r")
        assert app.screen.query_one(TextArea).text == "Sorry for the wait, we're on it."
        assert outbox(demo_services, cid)[-1][0] == "failed"  # opening cancelled nothing
        await pilot.press("escape")
        await pilot.pause()
        assert kept(app) == 1
        assert demo_services.replies.stored(cid).text == "Sorry for the wait, we're on it."
        assert outbox(demo_services, cid)[-1][0] == "failed"
        await pilot.press("r")
        area = app.screen.query_one(TextArea)
        area.load_text("Sorry for the wait!")
        await pilot.press("ctrl+s")
        await pilot.pause()
        # The refused copy is replaced only now that its replacement is queued.
        assert outbox(demo_services, cid) == [("cancelled", "Sorry for the wait, we're on it."),
                                              ("queued", "Sorry for the wait!")]
        assert not demo_services.inbox.row(cid).reply_failed
        assert demo_services.replies.stored(cid) is None


async def test_retry_and_drop_clear_the_mark(app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        first, second = [r.id for r in demo_services.inbox.page("inbox", None, 2)]
        await refuse(demo_services, first, "one")
        await refuse(demo_services, second, "two")
        queue_screen(app).reload()
        move_to(app, first)
        await settle(pilot)
        await pilot.press("R")
        await pilot.pause()
        assert outbox(demo_services, first)[-1] == ("queued", "one")
        move_to(app, second)
        await settle(pilot)
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert outbox(demo_services, second)[-1] == ("cancelled", "two")
        assert not demo_services.inbox.row(first).reply_failed
        assert not demo_services.inbox.row(second).reply_failed


async def test_esc_on_a_holding_reply_keeps_it(app: TuideskApp,
                                               demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = queue_screen(app).selected.id
        await pilot.press("e", "enter", *"line test fails", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReplyComposerModal)
        holding = app.screen.query_one(TextArea).text
        assert "specialist team" in holding
        await pilot.press("escape")
        await pilot.pause()
        assert demo_services.replies.stored(cid).text == holding and kept(app) == 1


async def test_undo_of_a_reply_brings_the_text_back_to_the_composer(
        app: TuideskApp, demo_services: Services) -> None:
    async with app.run_test(size=SIZE) as pilot:
        cid = queue_screen(app).selected.id
        await pilot.press("r", *"thanks for waiting", "ctrl+s")
        await pilot.pause()
        assert outbox(demo_services, cid) == [("queued", "thanks for waiting")]
        await pilot.press("u")
        await pilot.pause()
        assert outbox(demo_services, cid) == [("cancelled", "thanks for waiting")]
        move_to(app, cid)
        await settle(pilot)
        await pilot.press("r")
        assert app.screen.query_one(TextArea).text == "thanks for waiting"
        await pilot.press("escape")
        await pilot.pause()
        assert demo_services.replies.stored(cid).text == "thanks for waiting"
        assert kept(app) == 1


@pytest.mark.parametrize("size", [(80, 24)])
def test_snapshot_refused_reply_in_the_inbox(snap_compare, demo_services: Services,  # type: ignore[no-untyped-def]
                                             size: tuple[int, int]) -> None:
    import asyncio

    from tuidesk.cli import make_app

    cid = demo_services.inbox.page("inbox", None, 3)[2].id
    asyncio.run(refuse(demo_services, cid, "A reply the server refused."))
    assert snap_compare(make_app(demo_services), terminal_size=size)
