"""End to end against the third-party mastodon-mock server on loopback, via the CLI.

A new user's path from the README: add the account, sync, see mentions and DMs, reply and DM
from the outbox; the server then holds exactly those posts. Also: kill -9 while sending.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tuidesk.config import Settings
from tuidesk.services import open_services

mock = pytest.importorskip("mastodon_mock.testing.server")

BRAND_TOKEN = "alice_token"  # the mock's seeded fixture token, not a credential


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    config = mock._default_config()
    config.faults.enabled = True
    srv = mock.MockServer(config=config).start()
    yield srv
    srv.stop()


@pytest.fixture
def env(tmp_path: Path, server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    httpx.post(f"{server.base_url}/api/v1/_mock/reset").raise_for_status()
    for rule in httpx.get(f"{server.base_url}/api/v1/_mock/faults").json():
        httpx.delete(f"{server.base_url}/api/v1/_mock/faults/{rule['id']}")
    home = tmp_path / "home"
    (home / "cfg").mkdir(parents=True)
    (home / "cfg" / "config.toml").write_text("[sync]\nstale_after = 1\n")
    return os.environ | {"HOME": str(home), "TUIDESK_CONFIG_FILE": str(home / "cfg" /
                                                                      "config.toml"),
                         "TUIDESK_DB": str(tmp_path / "desk.db"), "USER": "tester",
                         "TUIDESK_MASTODON_TOKEN": BRAND_TOKEN}


class Run:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.output: list[str] = []

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "tuidesk", *args], env=self.env,
                              capture_output=True, text=True, timeout=120)
        self.output += [proc.stdout, proc.stderr]
        return proc


def post_as(server, token: str, text: str, visibility: str = "public",  # type: ignore[no-untyped-def]
            reply_to: str | None = None) -> dict:
    body = {"status": text, "visibility": visibility}
    if reply_to:
        body["in_reply_to_id"] = reply_to
    r = httpx.post(f"{server.base_url}/api/v1/statuses", json=body,
                   headers={"Authorization": f"Bearer {token}"})
    r.raise_for_status()
    return r.json()


def brand_posts(server) -> list[dict]:  # type: ignore[no-untyped-def]
    h = {"Authorization": f"Bearer {BRAND_TOKEN}"}
    me = httpx.get(f"{server.base_url}/api/v1/accounts/verify_credentials", headers=h).json()
    return httpx.get(f"{server.base_url}/api/v1/accounts/{me['id']}/statuses",
                     params={"limit": 40}, headers=h).json()


def test_readme_flow_delivers_exactly_the_replies(server, env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    run = Run(env)
    public = post_as(server, "bob_token", "@alice my router is broken again!")
    dm = post_as(server, "bob_token", "@alice my account number is 1234", "direct")
    assert run("account", "add", "mastodon", "--instance", server.base_url).returncode == 0
    listed = run("account", "list", "--json")
    assert '"secret": "set"' in listed.stdout
    synced = run("sync")
    assert synced.returncode == 0 and "2 new" in synced.stdout, synced.stderr

    svc = open_services(env["TUIDESK_DB"], Settings(agent="tester"))
    rows = {r.channel: r for r in svc.inbox.page("all")}
    assert set(rows) == {"public", "direct"} and rows["direct"].customer == "bob"
    svc.replies.reply(rows["public"].id, "Sorry Bob, we're checking the line now.", "public")
    svc.replies.reply(rows["direct"].id, "Thanks, found your account.", "direct")
    svc.close()

    delivered = run("sync")
    assert "outbox: sent 2, failed 0" in delivered.stdout, delivered.stderr
    assert run("sync").returncode == 0
    posts = brand_posts(server)
    assert sorted((p["in_reply_to_id"], p["visibility"]) for p in posts) == sorted(
        [(public["id"], "public"), (dm["id"], "direct")])
    assert all("@bob" in p["content"] for p in posts)

    svc = open_services(env["TUIDESK_DB"], Settings(agent="tester"))
    conv = svc.inbox.conversation(rows["public"].id)
    assert [m.direction for m in conv.messages] == ["in", "out"]
    assert conv.outbox[0].state == "sent"
    svc.close()
    # Secrets: not in the database file, not in anything the commands printed.
    home = Path(env["HOME"])
    for path in Path(env["TUIDESK_DB"]).parent.glob("desk.db*"):
        assert BRAND_TOKEN.encode() not in path.read_bytes()
    assert all(BRAND_TOKEN not in text for text in run.output)
    secrets = home / "cfg" / "accounts.toml"
    assert oct(secrets.stat().st_mode & 0o777) == "0o600"


def _outbox_state(db: str) -> str | None:
    conn = sqlite3.connect(db, timeout=5)
    try:
        row = conn.execute("SELECT state FROM outbox ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def test_kill_9_while_sending_posts_exactly_once(server, env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    run = Run(env)
    post_as(server, "bob_token", "@alice still no internet")
    assert run("account", "add", "mastodon", "--instance", server.base_url).returncode == 0
    assert run("sync").returncode == 0
    svc = open_services(env["TUIDESK_DB"], Settings(agent="tester"))
    svc.replies.reply(svc.inbox.page("all")[0].id, "A technician is on the way.", "public")
    svc.close()
    # The server holds the POST for 2 s: kill the sender while it waits.
    httpx.post(f"{server.base_url}/api/v1/_mock/faults", json={
        "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
        "effect": {"type": "latency", "delay_ms": 2000}, "count": 1}).raise_for_status()
    proc = subprocess.Popen([sys.executable, "-m", "tuidesk", "sync"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while _outbox_state(env["TUIDESK_DB"]) != "sending":
        assert time.monotonic() < deadline, "the reply never started sending"
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert _outbox_state(env["TUIDESK_DB"]) == "sending"
    time.sleep(3)  # the held request completes on the server; the row is stale (1 s)
    again = run("sync")
    assert "outbox: sent 1" in again.stdout, again.stdout + again.stderr
    assert run("sync").returncode == 0
    assert len(brand_posts(server)) == 1
    assert _outbox_state(env["TUIDESK_DB"]) == "sent"


def test_rate_limit_from_the_server_is_respected(server, env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    run = Run(env)
    post_as(server, "bob_token", "@alice hello?")
    assert run("account", "add", "mastodon", "--instance", server.base_url,
               "--name", "acme").returncode == 0
    assert "signed in as alice" in run("account", "test", "acme").stdout
    assert run("sync").returncode == 0
    svc = open_services(env["TUIDESK_DB"], Settings(agent="tester"))
    svc.replies.reply(svc.inbox.page("all")[0].id, "Hi Bob!", "public")
    svc.close()
    httpx.post(f"{server.base_url}/api/v1/_mock/faults", json={
        "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
        "effect": {"type": "ratelimit", "headers": {"Retry-After": "1"}},
        "count": 1}).raise_for_status()
    first = run("sync")
    assert "retrying 1" in first.stdout, first.stdout + first.stderr
    assert brand_posts(server) == []
    time.sleep(1.5)
    assert "sent 1" in run("sync").stdout
    assert len(brand_posts(server)) == 1
    assert run("account", "remove", "acme").returncode == 0
    assert "no accounts" in run("sync").stderr


@pytest.mark.parametrize("body_len", [500, 500 - len("@bob "), 480])
def test_a_500_character_reply_is_refused_before_sending_or_accepted(  # type: ignore[no-untyped-def]
        server, env: dict[str, str], body_len: int) -> None:
    """What the composer counts is what the server counts: never a 422 for length."""
    from tuidesk.errors import ActionError
    from tuidesk.services.replies import ReplyDraft

    run = Run(env)
    post_as(server, "bob_token", "@alice my bill is wrong")
    assert run("account", "add", "mastodon", "--instance", server.base_url).returncode == 0
    assert run("sync").returncode == 0
    svc = open_services(env["TUIDESK_DB"], Settings(agent="tester"))
    row = svc.inbox.page("all")[0]
    draft = ReplyDraft(row.id, row.network, row.customer, row.brand, "y" * body_len,
                       "public", opened_at=0)
    counted, limit = svc.replies.length(draft)
    try:
        svc.replies.check(draft)  # exactly what the composer runs before Ctrl+S queues
    except ActionError as exc:
        assert counted > limit and "with the @mention" in exc.msg
        svc.close()
        return
    svc.replies.send(draft)
    svc.close()
    delivered = run("sync")
    assert "outbox: sent 1, failed 0" in delivered.stdout, delivered.stdout + delivered.stderr
    assert "422" not in delivered.stdout + delivered.stderr
    assert counted <= limit


def test_keyword_matches_beyond_one_page_are_all_read(server, env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """60 matching posts between two syncs: all 60 are stored (one page held 40 before)."""
    run = Run(env)
    assert run("account", "add", "mastodon", "--instance", server.base_url,
               "--keyword", "#acmefail:high").returncode == 0
    post_as(server, "bob_token", "first #acmefail")
    assert run("sync").returncode == 0  # the search has a position now
    for i in range(60):
        post_as(server, "bob_token", f"outage report {i} #acmefail")
    synced = run("sync")
    assert synced.returncode == 0, synced.stderr
    svc = open_services(env["TUIDESK_DB"], Settings(agent="tester"))
    texts = {r[0] for r in svc._store.db.execute(
        "SELECT text FROM messages WHERE text LIKE 'outage report %'").fetchall()}
    assert len(texts) == 60
    svc.close()
    assert "0 new" in run("sync").stdout


def _wait_for(what: str, check, timeout: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_two_workers_one_desk_kill_9_and_takeover(server, env: dict[str, str],  # type: ignore[no-untyped-def]
                                                  tmp_path: Path) -> None:
    """Two `tuidesk worker` processes on one database: only the holder syncs and delivers; a
    queued reply reaches the server without any app or sync command; after kill -9 of the
    holder the standby takes over; the server holds exactly one post per reply."""
    run = Run(env)
    Path(env["TUIDESK_CONFIG_FILE"]).write_text("[sync]\ninterval = 2\nstale_after = 1\n")
    assert run("account", "add", "mastodon", "--instance", server.base_url).returncode == 0
    post_as(server, "bob_token", "@alice my fibre is down")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    a = subprocess.Popen([sys.executable, "-m", "tuidesk", "worker"], env=env,
                         stdout=subprocess.DEVNULL, stderr=logs[0].open("wb"))
    _wait_for("worker a to hold the desk", lambda: "holding the desk" in logs[0].read_text())
    b = subprocess.Popen([sys.executable, "-m", "tuidesk", "worker"], env=env,
                         stdout=subprocess.DEVNULL, stderr=logs[1].open("wb"))
    try:
        _wait_for("worker b to stand by", lambda: "standby" in logs[1].read_text())
        _wait_for("the mention to be synced", lambda: "1 new" in logs[0].read_text())
        svc = open_services(env["TUIDESK_DB"], Settings(agent="tester"))
        cid = svc.inbox.page("all")[0].id
        queued = time.monotonic()
        svc.replies.reply(cid, "A technician is on the way.", "public")  # as the composer
        _wait_for("the reply to be posted", lambda: len(brand_posts(server)) == 1)
        print(f"reply queued -> on mastodon-mock in {time.monotonic() - queued:.2f} s "
              "(worker woken by PRAGMA data_version)")
        assert "outbox: sent" in logs[0].read_text()
        assert "outbox: sent" not in logs[1].read_text()
        assert "new" not in logs[1].read_text()  # the standby never synced
        a.send_signal(signal.SIGKILL)
        a.wait(timeout=10)
        _wait_for("worker b to take over", lambda: "holding the desk" in logs[1].read_text())
        svc.replies.reply(cid, "Update: the technician arrives at 3pm.", "public")
        svc.close()
        _wait_for("the second reply", lambda: len(brand_posts(server)) == 2)
        time.sleep(2.5)  # another sync and delivery round: nothing is posted twice
        assert len(brand_posts(server)) == 2
        assert "outbox: sent" in logs[1].read_text()
        b.send_signal(signal.SIGTERM)
        assert b.wait(timeout=20) == 0
        assert "released the desk" in logs[1].read_text()
        assert BRAND_TOKEN not in logs[0].read_text() + logs[1].read_text()
    finally:
        for proc in (a, b):
            if proc.poll() is None:
                proc.kill()
