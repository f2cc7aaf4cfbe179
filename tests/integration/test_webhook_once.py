"""Webhooks exactly once from our side: one Idempotency-Key per delivery, the same on every
retry (after kill -9 once the receiver has the POST, or a timeout); an undone escalation
sends nothing; retries end in a visible dead state (issue 12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx

from fakes import mention
from servers import LoopbackServer, Recorded
from support import NOW
from tuidesk.config import EscalationTarget, Settings, load_settings
from tuidesk.connectors.webhook import WebhookSender
from tuidesk.services import Services, open_services
from tuidesk.services.clock import FixedClock
from tuidesk.services.sync import WEBHOOK_ATTEMPTS


class Receiver:
    """A ticketing system that can be told to hang before it answers."""

    def __init__(self) -> None:
        self.hang = False
        self.release = threading.Event()

    def __call__(self, req: Recorded) -> tuple[int, dict[str, str], bytes]:
        if self.hang:
            self.release.wait(30)
        return 201, {"Content-Type": "application/json"}, b'{"ticket": "T-1"}'


def _keys(server: LoopbackServer) -> list[str]:
    return [r.headers.get("Idempotency-Key", "") for r in server.requests
            if r.method == "POST"]


def test_kill_after_the_receiver_got_the_post(tmp_path: Path) -> None:
    receiver = Receiver()
    with LoopbackServer(receiver) as server:
        config = tmp_path / "config.toml"
        config.write_text(f'[sync]\nstale_after = 1\n[[escalation]]\nname = "ticket"\n'
                          f'webhook = "{server.url}/tickets"\n')
        env = os.environ | {"TUIDESK_CONFIG_FILE": str(config),
                            "TUIDESK_DB": str(tmp_path / "w.db")}
        svc = open_services(tmp_path / "w.db", load_settings(config, agent="ana"))
        svc.ingest.ingest([mention(i, at=int(time.time()) - 60) for i in range(3)])
        rows = svc.inbox.page("all")
        svc.close()
        for round_, row in enumerate(rows):
            svc = open_services(tmp_path / "w.db", load_settings(config, agent="ana"))
            svc.escalations.escalate(row.id, "ticket", "needs a technician")
            svc.close()
            receiver.hang, before = True, len(server.requests)
            proc = subprocess.Popen([sys.executable, "-m", "tuidesk", "sync"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            while len(server.requests) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(server.requests) == before + 1, f"round {round_}: no POST arrived"
            os.kill(proc.pid, signal.SIGKILL)  # it has sent; it never learns the answer
            proc.wait()
            receiver.hang = False
            receiver.release.set()
            receiver.release.clear()
            time.sleep(1.2)  # past stale_after: the 'sending' row is taken again
            done = subprocess.run([sys.executable, "-m", "tuidesk", "sync"], env=env,
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        again = subprocess.run([sys.executable, "-m", "tuidesk", "sync"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert "escalation webhooks" not in again.stdout  # nothing left to send
        keys = _keys(server)
    per_key = {k: keys.count(k) for k in keys}
    assert len(per_key) == 3 and all(k for k in per_key)  # one key per escalation
    assert max(per_key.values()) <= 2  # the receiver sees each key twice at most
    assert sum(per_key.values()) == 6  # (the killed attempt, then the retry)


async def _escalated(tmp_path: Path, url: str, reason: str,
                     client: httpx.AsyncClient | None = None
                     ) -> tuple[Services, FixedClock, int]:
    """A desk with one conversation escalated to a webhook target at `url`."""
    target = EscalationTarget("ticket", webhook=url)
    clock = FixedClock(NOW)
    client = client or httpx.AsyncClient()
    svc = open_services(tmp_path / "e.db", replace(Settings(agent="ana"),
                                                   escalation_targets=(target,)),
                        clock, webhooks=WebhookSender((target,), client),
                        closers=[client.aclose])
    svc.ingest.ingest([mention(1, at=NOW - 60)])
    cid = svc.inbox.page("all")[0].id
    svc.escalations.escalate(cid, "ticket", reason)
    return svc, clock, cid


async def test_a_timed_out_post_is_retried_with_the_same_key(tmp_path: Path) -> None:
    slow = {"n": 0}

    def handler(req: Recorded) -> tuple[int, dict[str, str], bytes]:
        slow["n"] += 1
        if slow["n"] == 1:
            time.sleep(1.0)  # slower than our (shortened) timeout
        return 201, {}, b"{}"

    with LoopbackServer(handler) as server:
        svc, clock, _ = await _escalated(tmp_path, server.url + "/t", "router on fire",
                                         httpx.AsyncClient(timeout=0.3))
        assert (await svc.sync.run_once()).webhooks_retrying
        clock.advance(60)
        assert (await svc.sync.run_once()).webhooks_sent
        await svc.aclose()
        svc.close()
        keys = _keys(server)
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]


async def test_undone_escalation_sends_nothing(tmp_path: Path) -> None:
    with LoopbackServer(lambda r: (201, {}, b"{}")) as server:
        svc, _, cid = await _escalated(tmp_path, server.url + "/t", "wrong button")
        svc.inbox.undo()
        report = await svc.sync.run_once()
        assert not report.webhooks_sent and not report.webhooks_retrying
        assert [w.state for w in svc.inbox.conversation(cid).webhooks] == ["cancelled"]
        await svc.aclose()
        svc.close()
        assert server.requests == []


async def test_retries_end_in_a_visible_dead_state(tmp_path: Path) -> None:
    with LoopbackServer(lambda r: (503, {}, b'{"error": "down"}')) as server:
        svc, clock, cid = await _escalated(tmp_path, server.url + "/t", "down again")
        for _ in range(WEBHOOK_ATTEMPTS + 3):
            await svc.sync.run_once()
            clock.advance(3600)
        hook = svc.inbox.conversation(cid).webhooks[0]
        assert hook.state == "failed" and hook.attempts == WEBHOOK_ATTEMPTS
        assert "gave up after" in hook.last_error
        await svc.aclose()
        svc.close()
        assert len(server.requests) == WEBHOOK_ATTEMPTS


def test_body_template_fills_in_one_pass() -> None:
    from tuidesk.services.escalation import webhook_body

    spec = EscalationTarget("t", webhook="http://127.0.0.1:9/x",
                            body='{"reason": "{reason}", "text": "{text}"}')
    body = webhook_body(spec, 7, "see {text}", "ana", None)
    assert body == '{"reason": "see {text}", "text": ""}'

