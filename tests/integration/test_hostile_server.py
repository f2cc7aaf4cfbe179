"""A Mastodon server that sends hostile pagination: no crash, no token to another origin.

Two real servers on 127.0.0.1: ours, whose notifications carry `Link` headers that are
malformed (`<http://[::1>`) or point at the other server (another origin, as a hostile or
compromised instance would); and the other, which must never be asked anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pty_app import run_in_pty
from servers import LoopbackServer, Recorded

TOKEN = "tok-SECRET-4f1b9c"  # a made-up credential the test looks for everywhere


def _status(i: int) -> dict[str, object]:
    return {"id": str(100 + i), "created_at": "2026-11-20T11:00:00Z", "visibility": "public",
            "content": f"<p>@acme help {i}</p>", "url": f"https://x.example/{i}",
            "account": {"id": "7", "acct": "carol", "display_name": "Carol"}}


def mastodon(elsewhere: str, link_kind: str):  # type: ignore[no-untyped-def]
    def handler(req: Recorded) -> tuple[int, dict[str, str], bytes]:
        if req.path.startswith("/api/v1/notifications?") or req.path == "/api/v1/notifications":
            page = [{"id": str(900 + i), "type": "mention", "status": _status(i)}
                    for i in range(40)]
            link = ("<http://[::1>; rel=\"prev\", <http://[::1>; rel=\"next\""
                    if link_kind == "malformed" else
                    f"<{elsewhere}/api/v1/notifications?max_id=1>; rel=\"next\", "
                    f"<{elsewhere}/api/v1/notifications?min_id=9>; rel=\"prev\"")
            return 200, {"Content-Type": "application/json", "Link": link}, \
                json.dumps(page).encode()
        return 200, {"Content-Type": "application/json"}, b"[]"
    return handler


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / "cfg").mkdir(parents=True)
    return os.environ | {"HOME": str(home), "XDG_STATE_HOME": str(home / "state"),
                         "XDG_CONFIG_HOME": str(home / "cfg"),
                         "TUIDESK_CONFIG_FILE": str(home / "cfg" / "config.toml"),
                         "TUIDESK_DB": str(tmp_path / "desk.db"), "USER": "tester",
                         "TUIDESK_MASTODON_TOKEN": TOKEN}


def _tuidesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tuidesk", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def _everything_written(env: dict[str, str], tmp_path: Path) -> bytes:
    """The database, its WAL, logs and crash reports: wherever a token could end up."""
    blobs = []
    for path in tmp_path.rglob("*"):
        if path.is_file() and "accounts.toml" not in path.name:
            blobs.append(path.read_bytes())
    return b"\n".join(blobs)


@pytest.mark.parametrize("link_kind", ["malformed", "other-origin"])
def test_hostile_link_is_not_followed_and_leaks_nothing(
        link_kind: str, env: dict[str, str], tmp_path: Path) -> None:
    with LoopbackServer(lambda r: (200, {}, b"[]")) as elsewhere, \
            LoopbackServer(mastodon(elsewhere.url, link_kind)) as ours:
        add = _tuidesk(env, "account", "add", "mastodon", "--instance", ours.url,
                       "--name", "acme-mastodon", "--no-verify")
        assert add.returncode == 0, add.stderr
        sync = _tuidesk(env, "sync")
        assert "Traceback" not in sync.stderr
        assert sync.returncode in (0, 1), sync.stderr
        assert "40 new" in sync.stdout  # the page we could read was kept
        # The app too (it crashed here before): a real process in a pty, then quit.
        screen, code = run_in_pty([sys.executable, "-m", "tuidesk"], env, keys=b"jjq")
        assert code == 0, screen[-2000:]
        assert b"Traceback" not in screen
        output = sync.stdout + sync.stderr + add.stdout + add.stderr
        assert TOKEN not in output and TOKEN.encode() not in screen
        assert elsewhere.requests == []  # nothing, not even without the token
        assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in ours.requests)
    assert TOKEN.encode() not in _everything_written(env, tmp_path)
