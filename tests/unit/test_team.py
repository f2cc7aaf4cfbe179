"""Teamwork rules with injectable time: supervisors, presence, follow-ups, promises, SLAs."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fakes import mention
from support import NOW
from tuidesk.config import EscalationTarget, Settings
from tuidesk.errors import ActionError
from tuidesk.models import MessageIn
from tuidesk.services import Services, open_services
from tuidesk.services.clock import FixedClock
from tuidesk.services.escalation import webhook_body
from tuidesk.services.priority import SlaPolicy


def make(tmp_path: Path, clock: FixedClock, **settings: object) -> Services:
    svc = open_services(tmp_path / "team.db", replace(Settings(agent="ana"), **settings), clock)
    svc.ingest.ingest([mention(i, at=NOW - 3600) for i in range(3)])
    return svc


def ids(svc: Services) -> list[int]:
    return [r.id for r in svc.inbox.page("all")]


def test_only_supervisors_take_over(tmp_path: Path, clock: FixedClock) -> None:
    svc = make(tmp_path, clock, supervisors=("kim",))
    cid = ids(svc)[0]
    svc.for_agent("sam").claim(cid)
    with pytest.raises(ActionError, match="Already claimed by sam"):
        svc.inbox.claim(cid)
    with pytest.raises(ActionError, match="only a supervisor"):
        svc.inbox.assign(cid, "ana")
    svc.for_agent("kim").claim(cid)
    assert svc.inbox.row(cid).assignee == "kim"
    svc.for_agent("kim").assign(cid, "ana")
    assert svc.inbox.row(cid).assignee == "ana"
    svc.inbox.assign(cid, "sam")  # handing over your own work is fine
    assert svc.inbox.row(cid).assignee == "sam"


def test_presence_expires(tmp_path: Path, clock: FixedClock) -> None:
    svc = make(tmp_path, clock)
    cid = ids(svc)[0]
    svc.for_agent("sam").heartbeat(cid, "drafting")
    svc.for_agent("kim").heartbeat(cid, "viewing")
    assert svc.inbox.presence(cid) == "kim (viewing), sam (drafting)"
    svc.for_agent("kim").heartbeat(None)
    clock.advance(svc.inbox.PRESENCE_TTL + 1)
    assert svc.inbox.presence(cid) == ""


def test_answered_by_others_since(tmp_path: Path, clock: FixedClock) -> None:
    svc = make(tmp_path, clock)
    cid = ids(svc)[0]
    opened = clock()
    clock.advance(5)
    svc.replies_for("sam").reply(cid, "On it", "public")
    assert svc.replies.others_since(cid, opened) == ["sam"]
    assert svc.replies.others_since(cid, clock() + 1) == []


def test_satisfaction_follow_up_returns_after_n_days(tmp_path: Path, clock: FixedClock
                                                     ) -> None:
    svc = make(tmp_path, clock, followup_days=3)
    cid = ids(svc)[0]
    svc.inbox.resolve(cid)
    clock.advance(3 * 86400 - 1)
    assert svc.clocks.run() == []
    clock.advance(1)
    assert svc.clocks.run() == [cid]
    conv = svc.inbox.conversation(cid)
    assert conv.row.status == "open" and "follow-up" in conv.tags
    assert "Satisfaction follow-up" in conv.notes[-1].text
    assert svc.clocks.run() == []


def test_overdue_promise_surfaces_once(tmp_path: Path, clock: FixedClock) -> None:
    svc = make(tmp_path, clock)
    cid = ids(svc)[0]
    svc.escalations.promise(cid, "technician visit Tue 9-12", clock() + 7200)
    svc.inbox.resolve(cid)
    clock.advance(7201)
    assert svc.clocks.run() == [cid]
    conv = svc.inbox.conversation(cid)
    assert conv.row.status == "open" and "promise-overdue" in conv.tags
    assert conv.commitments[0].text == "technician visit Tue 9-12"
    assert svc.clocks.run() == []


def test_snooze_wakes_flagged(tmp_path: Path, clock: FixedClock) -> None:
    svc = make(tmp_path, clock)
    cid = ids(svc)[0]
    svc.inbox.snooze(cid, clock() + 600)
    assert svc.clocks.run() == []
    clock.advance(600)
    assert svc.clocks.run() == [cid]
    assert "snooze-ended" in svc.inbox.conversation(cid).tags


def test_escalation_leaves_inbox_until_back(tmp_path: Path, clock: FixedClock) -> None:
    svc = make(tmp_path, clock)
    cid = ids(svc)[0]
    holding = svc.escalations.escalate(cid, "field technician", "router swapped twice")
    assert "technician visit" in holding and "{customer}" not in holding
    assert cid not in [r.id for r in svc.inbox.page("inbox")]
    svc.escalations.close_escalation(cid)
    assert cid in [r.id for r in svc.inbox.page("inbox")]
    assert svc.inbox.conversation(cid).escalations[0].status == "answered"


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_business_hours_sla_skips_nights_and_weekends() -> None:
    sla = SlaPolicy(business_hours=(9 * 60, 17 * 60), timezone="UTC")
    friday_4pm = _ts("2026-11-20T16:00:00")
    # 2 business hours from Friday 16:00: one on Friday, one on Monday from 09:00.
    assert sla.add(friday_4pm, 7200) == _ts("2026-11-23T10:00:00")
    saturday = _ts("2026-11-21T12:00:00")
    assert sla.add(saturday, 1800) == _ts("2026-11-23T09:30:00")
    assert SlaPolicy().add(friday_4pm, 7200) == friday_4pm + 7200


def test_late_first_responses_count_business_hours_like_the_queue(tmp_path: Path) -> None:
    """A mention at Friday 16:55 answered Monday 10:00 took 65 business minutes: on time for a
    4-hour target with business hours (as the queue showed it), late by wall clock (65 h).
    Both ingest paths count: a thread imported whole, and a reply that arrives later."""
    friday = _ts("2026-11-20T16:55:00")
    monday = _ts("2026-11-23T10:00:00")

    def reply(i: int) -> MessageIn:
        return MessageIn(network="mastodon", remote_id=f"r{i}", direction="out",
                         author="acme", text="on it", created_at=monday, brand="acme",
                         customer=f"cust{i}", in_reply_to=f"m{i}")

    late = {}
    for hours in (None, (9 * 60, 17 * 60)):
        clock = FixedClock(monday + 3600)
        svc = open_services(tmp_path / f"sla-{hours is None}.db",
                            Settings(agent="ana", business_hours=hours), clock)
        calm = "thanks, just a question about my plan"  # normal priority: 4 hours
        svc.ingest.ingest([mention(0, calm, at=friday), reply(0)])  # whole thread at once
        svc.ingest.ingest([mention(1, calm, at=friday - 1)])
        svc.ingest.ingest([reply(1)])  # the answer arrives later
        assert {r.priority for r in svc.inbox.page("all")} == {3}
        assert svc.insight is not None
        late[hours is None] = svc.insight.report().windows[1].late  # 7 days
        svc.close()
    assert late == {True: 2, False: 0}


def test_vip_raises_priority(tmp_path: Path, clock: FixedClock) -> None:
    svc = make(tmp_path, clock, vip=("cust1",))
    follow_up = replace(mention(1, text="still waiting", at=NOW - 30), remote_id="m1-again",
                        in_reply_to="m1")
    svc.ingest.ingest([follow_up])
    conv = [svc.inbox.conversation(r.id) for r in svc.inbox.page("all")
            if r.customer == "cust1"][0]
    assert "VIP customer" in conv.priority_reasons


def test_webhook_body_is_valid_json_with_hostile_text() -> None:
    spec = EscalationTarget("ticket", webhook="http://x", body='{"title": "{customer}: '
                            '{reason}", "id": {conversation_id}}')
    body = webhook_body(spec, 7, 'quote " and \\ backslash\nnewline', "ana", None)
    assert json.loads(body) == {"title": ': quote " and \\ backslash\nnewline', "id": 7}
