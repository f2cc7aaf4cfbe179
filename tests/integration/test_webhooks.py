"""Escalation webhooks delivered to a real HTTP server on loopback, with failures and retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fakes import mention
from support import NOW
from tuidesk.config import EscalationTarget, Settings
from tuidesk.connectors import make_client
from tuidesk.connectors.webhook import WebhookSender
from tuidesk.services import open_services
from tuidesk.services.clock import FixedClock


class Ticketing(BaseHTTPRequestHandler):
    script: list[int] = []
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((dict(self.headers), body))
        status = self.script.pop(0) if self.script else 201
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ticket": "T-1"}' if status < 300 else b'{"error": "nope"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ticketing() -> Iterator[str]:
    Ticketing.script, Ticketing.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ticketing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/tickets"
    server.shutdown()
    server.server_close()


async def test_webhook_retries_then_delivers(ticketing: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETS_TOKEN", "tk-123")
    target = EscalationTarget("external ticket", webhook=ticketing,
                              headers={"Authorization": "env:TICKETS_TOKEN"},
                              body='{"title": "{customer}: {reason}", "conv": {conversation_id}}')
    settings = replace(Settings(agent="ana"), escalation_targets=(target,))
    clock = FixedClock(NOW)
    client = make_client()
    svc = open_services(tmp_path / "w.db", settings, clock,
                        webhooks=WebhookSender((target,), client, lambda: float(clock())),
                        closers=[client.aclose])
    svc.ingest.ingest([mention(1, text='router "dead" again', at=NOW - 60)])
    cid = svc.inbox.page("all")[0].id
    svc.escalations.escalate(cid, "external ticket", 'needs on-site "visit"')
    Ticketing.script = [500, 503]
    report = await svc.sync.run_once()
    assert report.webhooks_retrying and not report.webhooks_sent
    assert svc.inbox.conversation(cid).webhooks[0].state == "queued"
    clock.advance(30)
    assert (await svc.sync.run_once()).webhooks_retrying  # second failure, longer backoff
    clock.advance(59)
    assert not (await svc.sync.run_once()).webhooks_sent  # still backing off
    clock.advance(1)
    assert (await svc.sync.run_once()).webhooks_sent
    hook = svc.inbox.conversation(cid).webhooks[0]
    assert hook.state == "sent" and hook.response_status == 201 and hook.attempts == 3
    headers, body = Ticketing.received[-1]
    assert headers["Authorization"] == "tk-123"
    assert json.loads(body) == {"title": 'cust1: needs on-site "visit"', "conv": cid}
    assert len(Ticketing.received) == 3
    assert b"tk-123" not in Path(svc.db_path).read_bytes()
    await svc.aclose()
    svc.close()


async def test_refused_webhook_fails_visibly(ticketing: str, tmp_path: Path) -> None:
    target = EscalationTarget("external ticket", webhook=ticketing)
    settings = replace(Settings(agent="ana"), escalation_targets=(target,))
    clock = FixedClock(NOW)
    client = make_client()
    svc = open_services(tmp_path / "w.db", settings, clock,
                        webhooks=WebhookSender((target,), client), closers=[client.aclose])
    svc.ingest.ingest([mention(1, at=NOW - 60)])
    cid = svc.inbox.page("all")[0].id
    svc.escalations.escalate(cid, "external ticket", "billing dispute")
    Ticketing.script = [400]
    assert (await svc.sync.run_once()).webhooks_failed
    hook = svc.inbox.conversation(cid).webhooks[0]
    assert hook.state == "failed" and "400" in hook.last_error
    await svc.aclose()
    svc.close()
