"""The worker with no app open: every clock job with the injectable clock, the lease, channel
health and `tuidesk status`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from fakes import FakeConnector, mention
from support import NOW
from tuidesk.config import EscalationTarget, Settings
from tuidesk.errors import ActionError, TransientError
from tuidesk.services import Services, open_services
from tuidesk.services.audit import SYSTEM
from tuidesk.services.clock import FixedClock
from tuidesk.services.health import channel_health
from tuidesk.services.worker import LEASE_TTL, Worker


def make(tmp_path: Path, clock: FixedClock, connectors: list[FakeConnector] | None = None,
         **settings: object) -> Services:
    svc = open_services(tmp_path / "w.db", replace(Settings(agent="ana"), **settings), clock,
                        connectors=connectors or [])
    svc.ingest.ingest([mention(i, at=NOW - 60) for i in range(3)])
    return svc


def worker(svc: Services, clock: FixedClock, holder: str = "w1",
           lines: list[str] | None = None) -> Worker:
    out = lines if lines is not None else []
    return Worker(svc._store, svc.sync, svc.clocks, svc.settings.sync_interval,
                  svc.settings.silent_after, out.append, holder, wall=lambda: float(clock()))


def events(svc: Services, action: str) -> list:
    return [e for e in svc.inbox.events() if e.action == action]


async def test_every_clock_runs_in_the_worker_as_system(tmp_path: Path,
                                                        clock: FixedClock) -> None:
    svc = make(tmp_path, clock, followup_days=1, breach_after=30 * 60)
    a, b, c = [r.id for r in svc.inbox.page("all")]
    svc.inbox.snooze(a, clock() + 3)
    svc.escalations.promise(b, "call back at 5", clock() + 60)
    svc.inbox.resolve(c)
    w = worker(svc, clock)
    await w.step()
    assert "snooze-ended" not in svc.inbox.conversation(a).tags
    clock.advance(86400)
    await w.step()
    assert "snooze-ended" in svc.inbox.conversation(a).tags
    assert "promise-overdue" in svc.inbox.conversation(b).tags
    assert "follow-up" in svc.inbox.conversation(c).tags
    # Every automatic action is the desk's, with the rule that fired.
    for action, rule in (("wake", "snooze ended"), ("promise_overdue", "promise overdue"),
                         ("follow_up", "satisfaction follow-up due")):
        (event,) = events(svc, action)
        assert event.agent == SYSTEM and json.loads(event.after)["rule"] == rule
    # ana's undo takes back ana's own last action (the resolve), never the system's.
    cid, what = svc.inbox.undo()
    assert (cid, what) == (c, f"Undid resolve on #{c}")
    svc.close()


async def test_sla_breach_is_flagged_and_escalated_once(tmp_path: Path,
                                                        clock: FixedClock) -> None:
    targets = (EscalationTarget("tier 2"),)
    svc = make(tmp_path, clock, breach_after=30 * 60, breach_escalate="tier 2",
               escalation_targets=targets)
    w = worker(svc, clock)
    await w.step()
    assert events(svc, "sla_breach") == []
    due = min(r.due_at for r in svc.inbox.page("inbox") if r.due_at)
    clock.advance(due + 30 * 60 + 1 - clock())
    await w.step()
    breached = events(svc, "sla_breach")
    assert breached and all(e.agent == SYSTEM for e in breached)
    cid = breached[0].conversation_id
    conv = svc.inbox.conversation(cid)
    assert "sla-breach" in conv.tags and conv.row.status == "escalated"
    assert conv.escalations[0].reason.startswith("SLA breach")
    clock.advance(3600)
    await w.step()
    await w.step()
    per = [e.conversation_id for e in events(svc, "sla_breach")]
    assert sorted(per) == sorted(set(per)) and len(per) == 3  # each one once
    assert sorted(e.conversation_id for e in events(svc, "escalate")) == sorted(per)
    with pytest.raises(ActionError, match="Nothing to undo"):
        svc.inbox.undo()  # ana did none of it
    svc.close()


async def test_one_holder_and_a_standby_takes_over(tmp_path: Path, clock: FixedClock) -> None:
    fake = FakeConnector()
    svc = make(tmp_path, clock, [fake])
    log1: list[str] = []
    log2: list[str] = []
    first, second = worker(svc, clock, "w1", log1), worker(svc, clock, "w2", log2)
    assert await first.step() is True
    assert await second.step() is False
    assert log2 == ["standby: another worker holds the desk"]
    assert len(fake.cursors) == 1  # only the holder synced
    # The holder dies (no release, no renewal): after the TTL the standby holds the desk.
    clock.advance(int(LEASE_TTL) + 1)
    assert await second.step() is True
    assert await first.step() is False
    assert len(fake.cursors) == 2  # the new holder synced; the old one stands by
    second.release()
    assert svc.worker() is None
    svc.close()


async def test_health_failing_and_silent_channels(tmp_path: Path, clock: FixedClock) -> None:
    ok, broken = FakeConnector(), FakeConnector("broken", "acme2")
    broken.fail_fetch = TransientError("GET /api/v1/notifications: 503 down")
    svc = make(tmp_path, clock, [ok, broken], silent_after=3600)
    w = worker(svc, clock)
    await w.step()
    health = {h.account: h for h in w.health(clock())}
    assert health["broken"].state == "failing" and "503" in health["broken"].detail
    assert health[ok.account_name].state == "ok"
    clock.advance(7200)
    health = {h.account: h for h in channel_health(svc.sync.statuses(), clock(), 3600)}
    assert health[ok.account_name].state == "silent"
    assert "nothing new for 2 h" in health[ok.account_name].detail
    svc.close()


class Hooks:
    """A webhook receiver's view: what was POSTed, once each."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict]] = []

    async def send(self, target: str, url: str, body: str, idempotency_key: str = "") -> int:
        self.sent.append((target, url, json.loads(body)))
        return 200


async def test_a_channel_alert_is_sent_once_down_and_once_up(tmp_path: Path,
                                                             clock: FixedClock) -> None:
    fake, hooks = FakeConnector(), Hooks()
    fake.fail_fetch = TransientError("GET /api/v1/notifications: 503 down")
    svc = open_services(tmp_path / "a.db", Settings(agent="ana"), clock, connectors=[fake],
                        webhooks=hooks)
    lines: list[str] = []
    w = Worker(svc._store, svc.sync, svc.clocks, 60, None, lines.append, "w1",
               wall=lambda: float(clock()), alert_webhook="https://alerts.example/hook")
    await w.step()
    clock.advance(61)
    await w.step()  # still failing: no second alert
    assert [(t, u, b["event"], b["account"]) for t, u, b in hooks.sent] == [
        ("channel alert", "https://alerts.example/hook", "channel_unhealthy", "acme")]
    assert "503" in hooks.sent[0][2]["detail"]
    fake.fail_fetch = None
    clock.advance(61)
    await w.step()
    clock.advance(61)
    await w.step()
    assert [b["event"] for _, _, b in hooks.sent] == ["channel_unhealthy", "channel_recovered"]
    assert any("acme: failing" in line for line in lines)
    svc.close()
