"""SyncService: ingest from connectors and the outbox state machine, with injectable time."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes import FakeConnector, mention
from support import NOW
from tuidesk.config import Settings
from tuidesk.errors import RateLimited, RemoteError, TransientError
from tuidesk.models import FetchResult, KeywordRule
from tuidesk.services import Services, open_services
from tuidesk.services.clock import FixedClock


@pytest.fixture
def fake() -> FakeConnector:
    return FakeConnector()


@pytest.fixture
def net(tmp_path: Path, clock: FixedClock, fake: FakeConnector) -> Services:
    svc = open_services(tmp_path / "n.db", Settings(agent="tester"), clock, connectors=[fake],
                        rules={"acme": [KeywordRule("acme", "outage", 3)]})
    yield svc
    svc.close()


async def test_sync_ingests_and_keeps_the_cursor(net: Services, fake: FakeConnector) -> None:
    fake.pages = [FetchResult([mention(1), mention(2)], "c2"), FetchResult([mention(2)], "c3")]
    report = await net.sync.run_once()
    assert report.fetched == {"acme": 2}
    report = await net.sync.run_once()
    assert report.fetched == {"acme": 0}  # the same message twice is one message
    assert fake.cursors == [None, "c2"]
    assert net.inbox.stats()["messages"] == 2
    assert fake.search_rules == [KeywordRule("acme", "outage", 3)] * 2
    status = net.sync.statuses()[0]
    assert status.account == "acme" and status.last_sync_at == NOW and status.last_error is None


async def test_sync_error_is_recorded_and_shown(net: Services, fake: FakeConnector) -> None:
    fake.fail_fetch = TransientError("GET /api/v1/notifications: timed out")
    report = await net.sync.run_once()
    assert "timed out" in report.errors["acme"]
    assert "timed out" in net.sync.statuses()[0].last_error


async def _one_conversation(net: Services, fake: FakeConnector) -> int:
    fake.pages = [FetchResult([mention(1)], "c1")]
    await net.sync.run_once()
    return net.inbox.page("all")[0].id


async def test_reply_is_delivered_once_and_joins_the_thread(net: Services, fake: FakeConnector
                                                            ) -> None:
    cid = await _one_conversation(net, fake)
    outbox_id = net.replies.reply(cid, "On it!", "public")
    report = await net.sync.run_once()
    assert report.sent == [outbox_id]
    conv = net.inbox.conversation(cid)
    assert conv.outbox[0].state == "sent"
    assert [m.direction for m in conv.messages] == ["in", "out"]
    assert conv.messages[-1].agent == "tester" and conv.first_response_at == NOW
    assert conv.row.status == "pending"
    await net.sync.run_once()
    assert fake.post_calls == 1


async def test_transient_failure_backs_off_then_succeeds(net: Services, fake: FakeConnector,
                                                        clock: FixedClock) -> None:
    cid = await _one_conversation(net, fake)
    net.replies.reply(cid, "On it!", "public")
    fake.fail_post = [RateLimited("429", retry_after=90)]
    report = await net.sync.run_once()
    assert report.retrying and not report.sent
    assert net.inbox.conversation(cid).outbox[0].state == "queued"
    clock.advance(60)
    assert not (await net.sync.run_once()).sent  # Retry-After not over yet
    clock.advance(31)
    assert (await net.sync.run_once()).sent
    assert len(fake.posted) == 1


async def test_refused_reply_fails_visibly_and_can_be_retried(net: Services,
                                                             fake: FakeConnector) -> None:
    cid = await _one_conversation(net, fake)
    outbox_id = net.replies.reply(cid, "x" * 10, "public")
    fake.fail_post = [RemoteError("POST /api/v1/statuses: 422 Validation failed")]
    report = await net.sync.run_once()
    assert report.failed == [outbox_id]
    item = net.inbox.conversation(cid).outbox[0]
    assert item.state == "failed" and "422 Validation failed" in item.last_error
    net.replies.retry(cid)
    assert (await net.sync.run_once()).sent == [outbox_id]


async def test_crash_while_sending_is_retried_with_the_same_key(net: Services,
                                                               fake: FakeConnector,
                                                               clock: FixedClock) -> None:
    cid = await _one_conversation(net, fake)
    net.replies.reply(cid, "On it!", "public")
    store = net._store
    with store.write():  # a process claims the row, posts, and dies before recording it
        claimed = store.outbox.claim_delivery([("mastodon", "acme")], clock(), 120)
    await fake.post(claimed)
    assert (await net.sync.run_once()).sent == []  # not stale yet: nobody else takes it
    clock.advance(121)
    assert (await net.sync.run_once()).sent == [claimed.outbox_id]
    assert fake.post_calls == 2 and len(fake.posted) == 1  # the server saw a replay
    assert net.inbox.conversation(cid).outbox[0].state == "sent"


async def test_a_reply_is_posted_only_by_its_own_brand(tmp_path: Path, clock: FixedClock
                                                      ) -> None:
    """A conversation of a brand with no account here is never posted by another brand."""
    acme, other = FakeConnector("acme", "acme"), FakeConnector("other", "otherbrand")
    svc = open_services(tmp_path / "b.db", Settings(agent="tester"), clock,
                        connectors=[acme, other])
    orphan = mention(1)
    orphan = type(orphan)(**{**{f: getattr(orphan, f) for f in orphan.__slots__},
                             "brand": "nobrand", "remote_id": "o1"})
    acme.pages = [FetchResult([mention(2)], "c1")]
    svc.ingest.ingest([orphan])
    await svc.sync.run_once()
    by_brand = {r.brand: r for r in svc.inbox.page("all")}
    svc.replies.reply(by_brand["nobrand"].id, "Hello from nobody", "public")
    svc.replies.reply(by_brand["acme"].id, "Hello from acme", "public")
    report = await svc.sync.run_once()
    assert [d.text for d in acme.posted.values()] == ["Hello from acme"]
    assert other.posted == {} and other.post_calls == 0
    assert len(report.sent) == 1 and report.failed == []
    assert not svc.inbox.can_send(by_brand["nobrand"]) and svc.inbox.can_send(by_brand["acme"])
    stuck = svc.inbox.conversation(by_brand["nobrand"].id)
    assert [o.state for o in stuck.outbox] == ["queued"]  # waits, visibly, for its own brand
    from tuidesk.ui.widgets.conversation_detail import render_conversation

    shown = render_conversation(stuck, NOW, can_send=False).plain
    assert "no mastodon account for @nobrand" in shown
    svc.close()
